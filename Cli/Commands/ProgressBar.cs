using System;
using System.Diagnostics;
using System.Globalization;

namespace NetGen.CommandLine;

/// <summary>
/// One line of progress on standard error: a bar, the count, the rate and the time left. On a
/// terminal it redraws in place a few times a second; into a file or pipe it writes a plain line
/// every <see cref="LogInterval"/> so logs stay readable.
/// </summary>
internal sealed class ProgressBar
{
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(250), LogInterval = TimeSpan.FromSeconds(20);
    private readonly bool terminal = !Console.IsErrorRedirected;
    private readonly Stopwatch phaseClock = new();
    private readonly object gate = new();
    private double lastDrawn = double.NegativeInfinity;
    private string phase = "";
    private long phaseStart;
    private int width;

    /// <summary>Shows <paramref name="done"/> of <paramref name="total"/> <paramref name="unit"/> for <paramref name="label"/>; a new label restarts the rate.</summary>
    public void Update(string label, long done, long total, string unit, string detail = "")
    {
        lock (gate)
            Draw(label, done, total, unit, detail);
    }

    private void Draw(string label, long done, long total, string unit, string detail)
    {
        if (label != phase)
        {
            EndLine();
            (phase, phaseStart) = (label, done);
            phaseClock.Restart();
            lastDrawn = double.NegativeInfinity;
        }
        var elapsed = phaseClock.Elapsed;
        bool last = done >= total;
        if (!last && elapsed.TotalSeconds - lastDrawn < (terminal ? RedrawInterval : LogInterval).TotalSeconds)
            return;
        lastDrawn = elapsed.TotalSeconds;
        double rate = (done - phaseStart) / Math.Max(elapsed.TotalSeconds, 1e-9);
        string left = rate > 0 ? Format(TimeSpan.FromSeconds((total - done) / rate)) : "?";
        double fraction = total == 0 ? 1 : Math.Clamp((double)done / total, 0, 1);
        const int Bar = 28;
        int filled = (int)(fraction * Bar);
        // A phase whose first report is its last (a small dataset) has no rate to show.
        string pace = rate > 0 ? $"{Rate(rate)} {unit}/s, {Format(elapsed)} elapsed, {left} left" : last ? "done" : $"{Format(elapsed)} elapsed";
        string text = $"{label} [{new string('#', filled)}{new string('-', Bar - filled)}] {done:N0}/{total:N0} {unit}, {pace}{(detail.Length > 0 ? ", " + detail : "")}";
        if (terminal)
        {
            Console.Error.Write("\r" + text.PadRight(width));
            width = text.Length;
        }
        else
            Console.Error.WriteLine(text);
    }

    /// <summary>Ends the current line on a terminal, so the next output starts on a fresh one.</summary>
    public void Finish()
    {
        lock (gate)
            EndLine();
    }

    private void EndLine()
    {
        if (terminal && width > 0)
            Console.Error.WriteLine();
        width = 0;
        phase = "";
    }

    /// <summary>A rate with the digits that matter: 2,140, 37.5, 0.42; never a bare 0 for a slow one.</summary>
    public static string Rate(double perSecond) => perSecond switch
    {
        >= 100 => perSecond.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => perSecond.ToString("0.0", CultureInfo.InvariantCulture),
        _ => perSecond.ToString("0.00", CultureInfo.InvariantCulture),
    };

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";
}
