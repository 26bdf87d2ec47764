using System.Runtime.Intrinsics;

namespace NetGen;

/// <summary>
/// Counter-based random numbers: the value for a key is a pure function of the key, so any thread,
/// device or run that asks for the same key gets the same number. Used for initial weights and for
/// dropout masks (seed, step, layer, unit), and callable from ILGPU kernels.
/// </summary>
public static class CounterHash
{
    /// <summary>SplitMix64's finaliser: a bijective 64-bit mix with full avalanche.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The same mix on eight lanes at once (the CPU backend's dropout masks).</summary>
    public static Vector512<ulong> Mix(Vector512<ulong> z)
    {
        z = (z ^ Vector512.ShiftRightLogical(z, 30)) * Vector512.Create(0xBF58476D1CE4E5B9UL);
        z = (z ^ Vector512.ShiftRightLogical(z, 27)) * Vector512.Create(0x94D049BB133111EBUL);
        return z ^ Vector512.ShiftRightLogical(z, 31);
    }

    /// <summary>A 64-bit hash of (seed, stream, counter).</summary>
    public static ulong Hash(ulong seed, ulong stream, ulong counter) =>
        Mix(StreamKey(seed, stream) + counter * CounterStep);

    /// <summary>
    /// <see cref="Hash(ulong, ulong, ulong)"/> of counters <c>first</c> to <c>first + 7</c> of a stream whose
    /// <see cref="StreamKey"/> is <paramref name="streamKey"/>, one per lane.
    /// </summary>
    public static Vector512<ulong> Hash(ulong streamKey, ulong first) =>
        Mix(Vector512.Create(streamKey) + (Vector512.Create(first) + Vector512<ulong>.Indices) * Vector512.Create(CounterStep));

    /// <summary>What <see cref="Hash(ulong, ulong, ulong)"/> owes to the seed and stream alone: computed once for a run of counters.</summary>
    public static ulong StreamKey(ulong seed, ulong stream) => Mix(seed ^ (stream * 0x9E3779B97F4A7C15UL));

    private const ulong CounterStep = 0xD1B54A32D192ED03UL;

    /// <summary>A float uniform in [0, 1) with 24 random bits.</summary>
    public static float Uniform(ulong seed, ulong stream, ulong counter) =>
        (Hash(seed, stream, counter) >> 40) * (1f / 16777216f);

    /// <summary>A standard normal draw by Box-Muller from the two halves of one hash.</summary>
    public static double Normal(ulong seed, ulong stream, ulong counter)
    {
        ulong h = Hash(seed, stream, counter);
        double u1 = ((h >> 32) + 1.0) / 4294967297.0;   // (0, 1]: log is finite
        double u2 = (h & 0xFFFFFFFFUL) / 4294967296.0;  // [0, 1)
        return System.Math.Sqrt(-2.0 * System.Math.Log(u1)) * System.Math.Cos(2.0 * System.Math.PI * u2);
    }
}
