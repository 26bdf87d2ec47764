using System;

namespace NetGen.Gpu;

/// <summary>
/// Division of a non-negative int by a fixed divisor as a multiply and a shift (Granlund and
/// Montgomery, 1994): <c>n / d = (n * m) &gt;&gt; s</c> with <c>s = 31 + ceil(log2 d)</c> and
/// <c>m = ceil(2^s / d)</c>, exact for every n in [0, 2^31). The implicit operands split every
/// index they load into image, channel, row and column; on a GPU an integer division is a
/// sequence of some twenty instructions, a multiply-high and a shift are two.
/// </summary>
public readonly struct Divisor
{
    private readonly ulong multiplier;
    private readonly int shift;

    /// <summary>Prepares division by <paramref name="divisor"/> (at least 1).</summary>
    public Divisor(int divisor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(divisor, 1);
        int log = 0;
        while ((1L << log) < divisor)
            log++;
        shift = 31 + log;
        multiplier = ((1UL << shift) + (ulong)divisor - 1) / (ulong)divisor; // at most 2^32, so n * multiplier < 2^63
        Value = divisor;
    }

    /// <summary>The divisor.</summary>
    public int Value { get; }

    /// <summary><c>n / Value</c>, for <paramref name="n"/> from 0 to <see cref="int.MaxValue"/>.</summary>
    public int Divide(int n) => (int)(((ulong)n * multiplier) >> shift);
}
