using System;
using System.Linq;
using System.Runtime.Intrinsics;
using NetGen.Cpu;

namespace NetGen.Tests.Kernels;

/// <summary>The CPU backend's sixteen-at-a-time functions against <see cref="Math"/> in double.</summary>
public class VectorMathTests
{
    /// <summary>Inputs across the range tanh and exp see in a network: both sides of 1/8, tiny, large, and the special values.</summary>
    private static readonly float[] Inputs = Enumerable.Range(-400, 801).Select(i => i / 20f)
        .Concat([1e-30f, -1e-20f, 1e-6f, -3e-4f, 0.1249999f, 0.125f, -0.125f, 0.1250001f, 0f, -0f, 88f, -88f])
        .ToArray();

    private static float[] Apply(Func<Vector512<float>, Vector512<float>> f, float[] x)
    {
        var padded = x.Concat(new float[(16 - x.Length % 16) % 16]).ToArray();
        var result = new float[padded.Length];
        for (int i = 0; i < padded.Length; i += 16)
            f(Vector512.Create(padded.AsSpan(i, 16))).CopyTo(result.AsSpan(i, 16));
        return result[..x.Length];
    }

    /// <summary>The gap from |v| to the next float up.</summary>
    private static double Ulp(float v) => (double)MathF.BitIncrement(MathF.Abs(v)) - MathF.Abs(v);

    [Fact]
    public void TanhIsWithinFourUlpsOfTheExactValue()
    {
        var y = Apply(VectorMath.Tanh, Inputs);
        for (int i = 0; i < Inputs.Length; i++)
        {
            double exact = Math.Tanh(Inputs[i]);
            Assert.True(Math.Abs(y[i] - exact) <= 4 * Ulp((float)exact),
                $"tanh({Inputs[i]:R}) = {y[i]:R}, exactly {exact:R}");
        }
        Assert.Equal(1f, Apply(VectorMath.Tanh, [float.PositiveInfinity])[0]);
        Assert.Equal(-1f, Apply(VectorMath.Tanh, [float.NegativeInfinity])[0]);
        Assert.True(float.IsNaN(Apply(VectorMath.Tanh, [float.NaN])[0]));
    }

    [Fact]
    public void ExpIsWithinFourUlpsOfTheExactValue()
    {
        var y = Apply(Vector512.Exp, Inputs);
        for (int i = 0; i < Inputs.Length; i++)
        {
            double exact = Math.Exp(Inputs[i]);
            Assert.True(Math.Abs(y[i] - exact) <= 4 * Ulp((float)exact),
                $"exp({Inputs[i]:R}) = {y[i]:R}, exactly {exact:R}");
        }
    }
}
