using System.Globalization;
using NetGen.Generator.Model;

namespace NetGen.Generator.Emit;

/// <summary>
/// Integer index expressions written as a person would write them: <c>x * 1</c> is <c>x</c>,
/// <c>x + 0</c> is <c>x</c>, <c>x % 1</c> is <c>0</c>, literals fold, and a sum is parenthesised
/// only where a product needs it. Only for int index arithmetic, never for float values, whose
/// operations must stay as written (a float sum's order is its value).
/// </summary>
internal static class IndexMath
{
    /// <summary><paramref name="a"/> * <paramref name="k"/>.</summary>
    public static string Times(string a, long k)
    {
        if (k == 0 || a == "0")
            return "0";
        if (k == 1)
            return a;
        if (Literal(a) is { } value)
            return Format.Int(value * k);
        return $"{Factor(a)} * {Format.Int(k)}";
    }

    /// <summary><paramref name="a"/> / <paramref name="k"/>, rounding toward zero as C# does.</summary>
    public static string Over(string a, long k)
    {
        if (k == 1 || a == "0")
            return a;
        if (Literal(a) is { } value)
            return Format.Int(value / k);
        return $"{Factor(a)} / {Format.Int(k)}";
    }

    /// <summary><paramref name="a"/> % <paramref name="k"/>: 0 when <paramref name="k"/> is 1.</summary>
    public static string Mod(string a, long k)
    {
        if (k == 1 || a == "0")
            return "0";
        if (Literal(a) is { } value)
            return Format.Int(value % k);
        return $"{Factor(a)} % {Format.Int(k)}";
    }

    /// <summary><paramref name="a"/> + <paramref name="b"/>, either left out where it is 0.</summary>
    public static string Plus(string a, string b)
    {
        if (b == "0")
            return a;
        if (a == "0")
            return b;
        if (Literal(a) is { } x && Literal(b) is { } y)
            return Format.Int(x + y);
        if (Literal(b) is { } k && k < 0)
            return $"{a} - {Format.Int(-k)}";
        return $"{a} + {b}";
    }

    /// <summary><paramref name="a"/> + <paramref name="k"/>, written as a subtraction where <paramref name="k"/> is negative.</summary>
    public static string Plus(string a, long k) => Plus(a, Format.Int(k));

    /// <summary><paramref name="a"/> - <paramref name="b"/>, left out where <paramref name="b"/> is 0.</summary>
    public static string Minus(string a, string b)
    {
        if (b == "0")
            return a;
        if (Literal(a) is { } x && Literal(b) is { } y)
            return Format.Int(x - y);
        return $"{a} - {Factor(b)}";
    }

    /// <summary>
    /// Declares <c>int <paramref name="name"/> = <paramref name="value"/>;</c> and returns the name,
    /// unless the value is already a name or a literal: then nothing is written and the value is
    /// returned, so code reads <c>weight[weightPlane + kx]</c>, not a copy of it under a second name.
    /// </summary>
    public static string Declare(SourceWriter w, string name, string value, string? comment = null)
    {
        if (IsAtom(value))
            return value;
        w.Line($"int {name} = {value};" + (comment is null ? "" : $" // {comment}"));
        return name;
    }

    /// <summary>Whether <paramref name="expression"/> is a single name or an integer literal.</summary>
    public static bool IsAtom(string expression)
    {
        if (expression.Length == 0)
            return false;
        if (Literal(expression) is not null)
            return true;
        if (!(char.IsLetter(expression[0]) || expression[0] == '_'))
            return false;
        foreach (char ch in expression)
            if (!(char.IsLetterOrDigit(ch) || ch == '_'))
                return false;
        return true;
    }

    /// <summary>The value of an integer literal, or null.</summary>
    public static long? Literal(string expression) =>
        long.TryParse(expression, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) ? value : null;

    /// <summary>The operand of a product: parenthesised if it holds a sum or a condition outside parentheses.</summary>
    private static string Factor(string a)
    {
        if (Literal(a) is { } value && value < 0)
            return $"({a})";
        int depth = 0;
        for (int i = 0; i < a.Length; i++)
        {
            char ch = a[i];
            if (ch == '(' || ch == '[')
                depth++;
            else if (ch == ')' || ch == ']')
                depth--;
            else if (depth == 0 && (ch == '+' || ch == '-' || ch == '?' || ch == '<' || ch == '>' || ch == '=' || ch == '&' || ch == '|') && i > 0)
                return $"({a})";
        }
        return a;
    }
}
