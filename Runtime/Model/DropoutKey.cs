using System.Runtime.InteropServices;

namespace NetGen;

/// <summary>
/// What a forward kernel needs to draw dropout masks: masks are a hash of (seed, step, layer, unit),
/// never a stateful generator, so the backward pass, a resumed run and a second device all draw the
/// same ones. A default key means evaluation: dropout does nothing.
/// </summary>
/// <param name="Seed">The run's seed.</param>
/// <param name="Step">The training step (one batch).</param>
/// <param name="Training">1 to apply dropout, 0 to pass values through.</param>
/// <param name="FirstImage">
/// Where this batch starts in the step's whole batch: a data-parallel rank's share of a global batch
/// draws the masks the whole batch draws for those images (<see cref="Unit"/>), so N ranks drop what
/// one process would, and no two ranks draw the same masks.
/// </param>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct DropoutKey(ulong Seed, long Step, int Training, long FirstImage = 0)
{
    /// <summary>The unit, in the step's whole batch, of value <paramref name="local"/> of this batch's activation of <paramref name="imageSize"/> values per image.</summary>
    public long Unit(long local, long imageSize) => local + FirstImage * imageSize;

    /// <summary>The key of an evaluation pass: no dropout.</summary>
    public static DropoutKey Evaluation => default;

    /// <summary>Whether unit <paramref name="unit"/> of the operation <paramref name="operation"/> survives.</summary>
    /// <param name="operation">The dropout operation's id, unique in the network.</param>
    /// <param name="unit">The element's index in the batch's activation (image * size + offset).</param>
    /// <param name="rate">The probability of dropping it.</param>
    public bool Keeps(int operation, long unit, float rate) =>
        CounterHash.Uniform(Seed, Stream(operation), (ulong)unit) >= rate;

    /// <summary>The hash stream of one dropout operation at this step.</summary>
    public ulong Stream(int operation) => ((ulong)Step << 16) ^ (ulong)operation;

    /// <summary>
    /// The least 24-bit draw (<see cref="CounterHash.Uniform"/> times 2^24, exactly) that survives
    /// <paramref name="rate"/>: <c>draw / 2^24 &gt;= rate</c> exactly when <c>draw &gt;= this</c>,
    /// since both sides are exact in double precision.
    /// </summary>
    public static ulong KeepThreshold(float rate) => (ulong)System.Math.Max(0.0, System.Math.Ceiling(rate * 16777216.0));
}
