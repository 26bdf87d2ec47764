using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NetGen.Cpu;

/// <summary>
/// Functions the activations need sixteen at a time that <see cref="Vector512"/> lacks (it has
/// <see cref="Vector512.Exp(Vector512{float})"/>, not tanh).
/// </summary>
public static class VectorMath
{
    /// <summary>
    /// tanh x: x (1 - x^2/3 + 2x^4/15 - 17x^6/315) below |x| = 1/8, where the series' next term is
    /// under a millionth of an ulp and (1 - e) / (1 + e) would lose digits to cancellation; above,
    /// (1 - e) / (1 + e) with e = exp(-2|x|), and the sign of x. Within a few ulps of MathF.Tanh.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        var one = Vector512<float>.One;
        var a = Vector512.Abs(x);
        var e = Vector512.Exp(a * -2f);
        var large = (one - e) / (one + e);
        var x2 = x * x;
        var small = x * (one + x2 * (Vector512.Create(-1f / 3f) + x2 * (Vector512.Create(2f / 15f) + x2 * Vector512.Create(-17f / 315f))));
        return Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(0.125f)), small,
            Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512<float>.Zero), -large, large));
    }
}
