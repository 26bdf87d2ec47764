using System;
using System.IO;
using System.Linq;
using NetGen.Tests.Infrastructure;
using NetGen.Tests.Training;
using Xunit.Abstractions;

namespace NetGen.Tests.Interchange;

/// <summary>
/// ONNX's own checker (<c>onnx.checker.check_model</c> with <c>full_check</c>, which also infers every
/// value's shape) on every network <see cref="OnnxExportTests"/> exports. Needs <c>/usr/bin/python3</c>
/// with Debian's python3-onnx, which <c>.ci/run</c> installs; skipped, saying why, where it cannot import it.
/// </summary>
public class OnnxCheckerTests(ITestOutputHelper output)
{
    private const string Check = """
        import sys, onnx
        failed = 0
        for path in sys.argv[1:]:
            try:
                onnx.checker.check_model(onnx.load(path), full_check=True)
                print("ok", path)
            except Exception as e:
                failed += 1
                print("FAIL", path, type(e).__name__, e)
        print("onnx", onnx.__version__)
        sys.exit(1 if failed else 0)
        """;

    [OnnxCheckerFact]
    public void EveryExportedNetworkPassesOnnxsChecker()
    {
        using var folder = new TemporaryFolder();
        var paths = OnnxExportTests.Networks().Cast<object[]>().Select(row => (string)row[0]).Select(name =>
        {
            var info = NetworkCatalog.All.FirstOrDefault(e => e.Info.Name == name)?.Info ?? CreateInfo(name);
            string path = folder.File(name + ".onnx");
            OnnxExport.Write(info, OnnxExportTests.RandomParameters(info, 2), path);
            return path;
        }).ToArray();
        var (code, text) = TorchReference.Python3(["-c", Check, .. paths], TimeSpan.FromMinutes(5));
        output.WriteLine(text);
        Assert.True(code == 0, $"onnx.checker refused an exported model:\n{text}");
        Assert.Equal(paths.Length, text.Split('\n').Count(l => l.StartsWith("ok ", StringComparison.Ordinal)));
    }

    private static NetworkInfo CreateInfo(string name)
    {
        using var device = Device.Open("cpu");
        using var network = OnnxExportTests.Create(name, device, 0);
        return network.Info;
    }

    /// <summary>Why the checker cannot run here, or null when /usr/bin/python3 imports onnx.</summary>
    public static string? Unavailable => Missing.Value;

    private static readonly Lazy<string?> Missing = new(() =>
    {
        const string Install = "apt-get install python3-onnx, as .ci/run does";
        if (!File.Exists(TorchReference.Python))
            return $"needs {TorchReference.Python} with onnx; there is none ({Install})";
        var (code, text) = TorchReference.Python3(["-c", "import onnx.checker"], TimeSpan.FromMinutes(1));
        return code == 0 ? null : $"needs {TorchReference.Python} with onnx; it says: {text.Trim().Split('\n')[^1].Trim()} ({Install})";
    });
}

/// <summary>A fact skipped, with the reason, where ONNX's Python checker cannot run.</summary>
public sealed class OnnxCheckerFactAttribute : FactAttribute
{
    public OnnxCheckerFactAttribute()
    {
        if (OnnxCheckerTests.Unavailable is { } why)
            Skip = why;
    }
}
