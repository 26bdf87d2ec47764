using NetGen.Generator.Model;

namespace NetGen.Generator.Operations;

/// <summary>
/// The vocabulary an activation writes its formulas in, so one formula serves three targets: an
/// ILGPU kernel (float, XMath), the CPU backend's scalar tail (float, MathF) and its vector body
/// (sixteen values at a time in a <c>Vector512&lt;float&gt;</c>). Arithmetic between two values is
/// plain C# (<c>a * b</c>, <c>a + b</c>, <c>-a</c>) on every target; constants, conditions and
/// functions go through here.
/// </summary>
internal abstract class Formula
{
    /// <summary>ILGPU kernels.</summary>
    public static readonly Formula Kernel = new Scalar("XMath");

    /// <summary>The CPU backend, value by value.</summary>
    public static readonly Formula Host = new Scalar("global::System.MathF");

    /// <summary>The CPU backend, sixteen values at a time.</summary>
    public static readonly Formula Vector = new Vectors();

    /// <summary>The C# type of a value: float or Vector512&lt;float&gt;.</summary>
    public abstract string Type { get; }

    public abstract bool IsVector { get; }

    public abstract string Constant(float value);

    public abstract string Exp(string x);

    public abstract string Tanh(string x);

    /// <summary><paramref name="whenPositive"/> where <paramref name="x"/> > 0, else <paramref name="otherwise"/>, parenthesised.</summary>
    public abstract string IfPositive(string x, string whenPositive, string otherwise);

    /// <summary>
    /// <paramref name="k"/> * <paramref name="x"/>, or <paramref name="x"/> alone where <paramref name="k"/>
    /// is 1 (a float times 1 is that float, bit for bit); <paramref name="x"/> is parenthesised where it needs it.
    /// </summary>
    public string Scaled(float k, string x)
    {
        if (k == 1f)
            return x;
        return $"{Constant(k)} * {(x.IndexOf(' ') >= 0 ? $"({x})" : x)}";
    }

    /// <summary>The expression without one pair of parentheses around all of it, for a statement of its own.</summary>
    public static string Bare(string expression)
    {
        if (expression.Length < 2 || expression[0] != '(' || expression[expression.Length - 1] != ')')
            return expression;
        int depth = 0;
        for (int i = 0; i < expression.Length - 1; i++)
        {
            depth += expression[i] == '(' ? 1 : expression[i] == ')' ? -1 : 0;
            if (depth == 0)
                return expression; // the first parenthesis closes before the end: (a) * (b)
        }
        return expression.Substring(1, expression.Length - 2);
    }

    private sealed class Scalar(string math) : Formula
    {
        public override string Type => "float";
        public override bool IsVector => false;
        public override string Constant(float value) => Format.FloatLiteral(value);
        public override string Exp(string x) => $"{math}.Exp({x})";
        public override string Tanh(string x) => $"{math}.Tanh({x})";
        public override string IfPositive(string x, string whenPositive, string otherwise) => $"({x} > 0f ? {whenPositive} : {otherwise})";
    }

    private sealed class Vectors : Formula
    {
        private const string V = "Vector512"; // the CPU files import System.Runtime.Intrinsics
        public override string Type => V + "<float>";
        public override bool IsVector => true;
        public override string Constant(float value) => $"{V}.Create({Format.FloatLiteral(value)})";
        public override string Exp(string x) => $"{V}.Exp({x})";
        public override string Tanh(string x) => $"VectorMath.Tanh({x})";
        public override string IfPositive(string x, string whenPositive, string otherwise) =>
            $"{V}.ConditionalSelect({V}.GreaterThan({x}, {Type}.Zero), {whenPositive}, {otherwise})";
    }
}
