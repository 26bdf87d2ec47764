using System;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using NetGen.Cpu;

namespace NetGen.Tests.Kernels;

/// <summary>
/// The CPU backend's dropout draws sixteen masks at a time from the hash on 64-bit lanes; the
/// ILGPU kernels and <see cref="DropoutKey.Keeps"/> draw one at a time. Both must drop exactly the
/// same units with exactly the same scale, or the two backends (and a resumed run) would part ways.
/// The expectation is a plain loop over the scalar definition, compared bit for bit, on counts
/// that leave a tail shorter than a vector and cross the parallel blocks.
/// </summary>
public class CpuDropoutTests
{
    private static readonly DropoutKey Key = new(Seed: 20261129, Step: 4321, Training: 1);

    [Theory]
    [InlineData(65_536 + 16_384 + 7, 0.3f)]
    [InlineData(1_000, 0.5f)]
    [InlineData(15, 0.1f)]
    [InlineData(4_099, 0.999f)]
    public void DropoutMatchesTheScalarDrawsBitForBit(int count, float rate)
    {
        var values = Values(count);
        var expected = new float[count];
        for (int i = 0; i < count; i++)
            expected[i] = ScalarKeeps(194, i, rate) ? values[i] * (1f / (1f - rate)) : 0f;

        Assert.Equal(expected, Run(values, view => CpuEpilogue.Dropout(view, count, count, Key, 194, rate)));
        Assert.Equal(expected, Run(values, view => CpuEpilogue.MaskDropout(view, count, count, Key, 194, rate)));
        int dropped = Array.FindAll(expected, v => v == 0f).Length;
        Assert.InRange(dropped, count * rate - 4 * Math.Sqrt(count * 0.25) - 1, count * rate + 4 * Math.Sqrt(count * 0.25) + 1);
    }

    [Fact]
    public void ASliceDropsWhatTheWholeActivationDrops()
    {
        // Device 1 of two holds units 40..79 of each image's 80, or only 37 of them, which leaves
        // each image's run a tail shorter than a vector.
        const int images = 3, whole = 80, offset = 40;
        const float rate = 0.3f;
        foreach (int own in new[] { 37, 40 })
        {
            var values = Values(images * own);
            var expected = new float[values.Length];
            for (int n = 0; n < images; n++)
                for (int u = 0; u < own; u++)
                    expected[n * own + u] = ScalarKeeps(162, (long)n * whole + offset + u, rate) ? values[n * own + u] * (1f / (1f - rate)) : 0f;
            Assert.Equal(expected, Run(values, view => CpuEpilogue.Dropout(view, images, own, whole, offset, Key, 162, rate)));
        }
    }

    [Fact]
    public void EvaluationPassesValuesThrough()
    {
        var values = Values(100);
        Assert.Equal(values, Run(values, view => CpuEpilogue.Dropout(view, values.Length, values.Length, DropoutKey.Evaluation, 194, 0.5f)));
    }

    [Fact]
    public void ARanksShareOfTheBatchDropsWhatTheWholeBatchDropsForItsImages()
    {
        // Images 5 to 8 of a batch of 9, 37 units each (a tail shorter than a vector per image), as a
        // data-parallel rank holds them: FirstImage 5 draws the whole batch's masks for them, alone and
        // as one device's slice (units 10 to 29 of each image).
        const int images = 4, units = 37, first = 5;
        const float rate = 0.4f;
        var shareKey = Key with { FirstImage = first };
        var values = Values(images * units);
        var expected = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
            expected[i] = ScalarKeeps(77, (long)first * units + i, rate) ? values[i] * (1f / (1f - rate)) : 0f;
        Assert.Equal(expected, Run(values, view => CpuEpilogue.Dropout(view, values.Length, units, shareKey, 77, rate)));
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(ScalarKeeps(77, (long)first * units + i, rate), shareKey.Keeps(77, shareKey.Unit(i, units), rate));

        var slice = Values(images * 20);
        var sliceExpected = new float[slice.Length];
        for (int n = 0; n < images; n++)
            for (int u = 0; u < 20; u++)
                sliceExpected[n * 20 + u] = ScalarKeeps(77, (long)(first + n) * units + 10 + u, rate) ? slice[n * 20 + u] * (1f / (1f - rate)) : 0f;
        Assert.Equal(sliceExpected, Run(slice, view => CpuEpilogue.Dropout(view, images, 20, units, 10, shareKey, 77, rate)));
    }

    /// <summary>The definition the kernels use: a 24-bit uniform from the hash of (seed, step and operation, unit).</summary>
    private static bool ScalarKeeps(int operation, long unit, float rate) =>
        CounterHash.Uniform(Key.Seed, ((ulong)Key.Step << 16) ^ (ulong)operation, (ulong)unit) >= rate;

    private static float[] Values(int count)
    {
        var random = new Random(count);
        var values = new float[count];
        for (int i = 0; i < count; i++)
            values[i] = (float)(random.NextDouble() * 2 - 1);
        return values;
    }

    private static float[] Run(float[] values, Action<ArrayView<float>> dropout)
    {
        using var context = Context.Create(b => b.CPU());
        using var accelerator = context.CreateCPUAccelerator(0);
        using var buffer = accelerator.Allocate1D(values);
        dropout(buffer.View);
        return buffer.GetAsArray1D();
    }
}
