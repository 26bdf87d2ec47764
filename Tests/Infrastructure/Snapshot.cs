using System;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;

namespace NetGen.Tests.Infrastructure;

/// <summary>
/// Snapshot testing with Verify's conventions (Verify.Xunit itself cannot be restored here):
/// the accepted text lives in <c>_snapshots/NAME.verified.EXT</c> beside the tests; on a mismatch
/// the new text is written to <c>NAME.received.EXT</c> and the test fails with a diff. Run the
/// tests with <c>NETGEN_ACCEPT_SNAPSHOTS=1</c> to accept every received text.
/// </summary>
internal static class Snapshot
{
    public const string AcceptVariable = "NETGEN_ACCEPT_SNAPSHOTS";

    public static void Verify(string name, string extension, string actual, [CallerFilePath] string callerFile = "")
    {
        string folder = Path.Combine(Path.GetDirectoryName(callerFile)!, "_snapshots");
        string verified = Path.Combine(folder, $"{name}.verified.{extension}");
        string received = Path.Combine(folder, $"{name}.received.{extension}");
        actual = Normalise(actual);
        string? expected = File.Exists(verified) ? Normalise(File.ReadAllText(verified)) : null;
        if (expected == actual)
        {
            File.Delete(received);
            return;
        }
        if (Environment.GetEnvironmentVariable(AcceptVariable) == "1")
        {
            Directory.CreateDirectory(folder);
            File.WriteAllText(verified, actual);
            File.Delete(received);
            return;
        }
        Directory.CreateDirectory(folder);
        File.WriteAllText(received, actual);
        Assert.Fail(expected is null
            ? $"No snapshot {verified} yet; wrote {received}. Review it, then rename it or run with {AcceptVariable}=1."
            : $"{name} differs from {verified}; wrote {received}.\n{Diff(expected, actual)}\nRun with {AcceptVariable}=1 to accept.");
    }

    private static string Normalise(string text) => text.Replace("\r\n", "\n").TrimStart('\uFEFF');

    /// <summary>The first differing lines with three lines of context, unified-diff style.</summary>
    public static string Diff(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        int first = 0;
        while (first < a.Length && first < b.Length && a[first] == b[first])
            first++;
        int endA = a.Length - 1, endB = b.Length - 1;
        while (endA >= first && endB >= first && a[endA] == b[endB])
        {
            endA--;
            endB--;
        }
        var text = new StringBuilder();
        int from = Math.Max(0, first - 3);
        text.AppendLine($"@@ line {first + 1} @@");
        for (int i = from; i < first; i++)
            text.AppendLine("  " + a[i]);
        for (int i = first; i <= endA && i < first + 40; i++)
            text.AppendLine("- " + a[i]);
        for (int i = first; i <= endB && i < first + 40; i++)
            text.AppendLine("+ " + b[i]);
        return text.ToString();
    }
}
