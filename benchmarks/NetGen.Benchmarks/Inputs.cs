namespace NetGen.Benchmarks;

internal static class Inputs
{
    /// <summary>Reproducible values in [-1, 1).</summary>
    public static float[] Uniform(long count, ulong stream)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++)
            values[i] = CounterHash.Uniform(7, stream, (ulong)i) * 2f - 1f;
        return values;
    }
}
