using System.IO;
using System.Linq;
using NetGen.Tests.Infrastructure;

namespace NetGen.Tests.Generator;

/// <summary>Every file the generator writes for the shipped networks, against its accepted snapshot.</summary>
public class SnapshotTests
{
    [Theory]
    [InlineData("AlexNet")]
    [InlineData("MiniAlexNet")]
    [InlineData("ResNet8")]
    public void GeneratedFilesMatchSnapshots(string network)
    {
        string path = Path.Combine(GeneratorHarness.RepositoryRoot, "Runtime", "Networks", network + ".cs");
        var (result, output) = GeneratorHarness.Run((path, File.ReadAllText(path)));

        Assert.Empty(GeneratorHarness.Diagnostics(result));
        Assert.Empty(GeneratorHarness.CompileErrors(output));
        var files = result.GeneratedSources.Select(s => s.HintName).ToArray();
        // A network of one column has no partition file.
        var expected = new[] { "", ".Kernels", ".Forward", ".BackwardKernels", ".Backward", ".Trainer", ".Cpu", ".Partition" }
            .Where(f => f != ".Partition" || network != "ResNet8");
        Assert.Equal(expected.Select(f => $"NetGen.Networks.{network}{f}.g.cs"), files);
        foreach (var source in result.GeneratedSources)
            Snapshot.Verify(Path.GetFileNameWithoutExtension(source.HintName), "cs", source.SourceText.ToString());
    }
}
