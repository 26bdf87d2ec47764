using System;

namespace NetGen.Tests.Infrastructure;

/// <summary>Random test data and float comparison.</summary>
internal static class Numbers
{
    /// <summary>Uniform values in [-scale, scale) from a seeded generator.</summary>
    public static float[] Uniform(int count, int seed, float scale = 1f)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
        return values;
    }

    /// <summary>
    /// Every element within <c>relative * |expected| + absolute</c>. The kernels accumulate in float
    /// and the references in double, so the difference grows with the length of the sums.
    /// </summary>
    public static void AssertClose(float[] expected, float[] actual, string what, double relative = 1e-4, double absolute = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double difference = Math.Abs((double)expected[i] - actual[i]);
            if (!(difference <= relative * Math.Abs(expected[i]) + absolute))
                Assert.Fail($"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (difference {difference:E2})");
        }
    }
}
