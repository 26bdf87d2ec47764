using System.Collections.Generic;
using System.Diagnostics;

namespace NetGen.Cpu;

/// <summary>
/// Time spent in each fused group of the CPU backend, for <c>netgen bench</c>. The generated code
/// marks the end of every group; while <see cref="Enabled"/> is false a mark costs one branch.
/// </summary>
public static class CpuProfiler
{
    private static readonly Dictionary<(string Pass, string Group), (double Seconds, long Calls)> totals = [];
    private static long last;

    /// <summary>Whether marks are recorded.</summary>
    public static bool Enabled { get; set; }

    /// <summary>Seconds and calls per (pass, group) since the last <see cref="Reset"/>.</summary>
    public static IReadOnlyDictionary<(string Pass, string Group), (double Seconds, long Calls)> Totals => totals;

    /// <summary>Forgets every recorded time.</summary>
    public static void Reset() => totals.Clear();

    /// <summary>Starts timing a pass: the first group's time counts from here.</summary>
    public static void Start()
    {
        if (Enabled)
            last = Stopwatch.GetTimestamp();
    }

    /// <summary>Charges the time since the previous mark to <paramref name="group"/> of <paramref name="pass"/>.</summary>
    public static void Mark(string pass, string group)
    {
        if (!Enabled)
            return;
        long now = Stopwatch.GetTimestamp();
        totals.TryGetValue((pass, group), out var t);
        totals[(pass, group)] = (t.Seconds + Stopwatch.GetElapsedTime(last, now).TotalSeconds, t.Calls + 1);
        last = now;
    }
}
