using System;
using System.Collections.Generic;
using System.Linq;

namespace NetGen.Generator.Emit;

/// <summary>
/// A counted loop, <c>for (int v = start; v &lt; start + count; v++)</c>, as a person writes it: a
/// loop that runs once is no loop, its body written once with <see cref="Variable"/> standing for
/// the start (so the index arithmetic around it folds through <see cref="IndexMath"/>). Disposing
/// it closes what it opened.
/// </summary>
internal sealed class Loop : IDisposable
{
    private readonly SourceWriter w;
    private readonly IDisposable? block;
    private readonly Stack<IDisposable> guards = new();

    private Loop(SourceWriter w, string variable, IDisposable? block)
    {
        this.w = w;
        Variable = variable;
        this.block = block;
    }

    /// <summary>The loop variable's name, or, for a body written once, the start it stands for.</summary>
    public string Variable { get; }

    /// <summary>Whether the body is written once, with no loop around it.</summary>
    public bool Once => block is null;

    /// <summary>Opens the loop, or nothing where <paramref name="count"/> is 1.</summary>
    public static Loop For(SourceWriter w, string variable, long count, string start = "0")
    {
        if (count == 1)
            return new Loop(w, start, null);
        return new Loop(w, variable, w.Block($"for (int {variable} = {start}; {variable} < {IndexMath.Plus(start, count)}; {variable}++)"));
    }

    /// <summary>A loop from <paramref name="start"/> up to <paramref name="end"/>, bounds known only when it runs.</summary>
    public static Loop Over(SourceWriter w, string variable, string start, string end) =>
        new(w, variable, w.Block($"for (int {variable} = {start}; {variable} < {end}; {variable}++)"));

    /// <summary>
    /// A loop of one statement, written without braces: <paramref name="statement"/> is given the
    /// variable, or the start where <paramref name="count"/> is 1 and the statement stands alone.
    /// </summary>
    public static void Statement(SourceWriter w, string variable, long count, Func<string, string> statement, string start = "0")
    {
        if (count == 1)
        {
            w.Line(statement(start));
            return;
        }
        w.Line($"for (int {variable} = {start}; {variable} < {IndexMath.Plus(start, count)}; {variable}++)");
        using (w.Indent())
            w.Line(statement(variable));
    }

    /// <summary>
    /// Leaves out the rest of the body where any of <paramref name="conditions"/> holds: <c>if (skip) continue;</c>
    /// in a loop, and around a body written once an <c>if</c> on the opposite around the rest of it.
    /// Conditions that are null are not there.
    /// </summary>
    public void SkipWhere(params Condition?[] conditions)
    {
        var present = conditions.Where(c => c is not null).Select(c => c!).ToArray();
        if (present.Length == 0)
            return;
        if (Once)
            guards.Push(w.Block($"if ({string.Join(" && ", present.Select(c => c.Keep))})"));
        else
            w.Line($"if ({string.Join(" || ", present.Select(c => c.Skip))}) continue;");
    }

    public void Dispose()
    {
        while (guards.Count > 0)
            guards.Pop().Dispose();
        block?.Dispose();
    }
}

/// <summary>A test in both senses: <see cref="Skip"/> where it leaves a position out, <see cref="Keep"/> its negation.</summary>
internal sealed record Condition(string Skip, string Keep)
{
    /// <summary><paramref name="a"/> &lt; <paramref name="b"/>, kept where <paramref name="a"/> &gt;= <paramref name="b"/>.</summary>
    public static Condition Below(string a, string b) => new($"{a} < {b}", $"{a} >= {b}");

    /// <summary><paramref name="a"/> &gt;= <paramref name="b"/>, kept where <paramref name="a"/> &lt; <paramref name="b"/>.</summary>
    public static Condition AtLeast(string a, string b) => new($"{a} >= {b}", $"{a} < {b}");

    /// <summary><paramref name="a"/> % <paramref name="k"/> != 0, kept where it divides.</summary>
    public static Condition NotMultiple(string a, int k) => new($"{IndexMath.Mod(a, k)} != 0", $"{IndexMath.Mod(a, k)} == 0");
}
