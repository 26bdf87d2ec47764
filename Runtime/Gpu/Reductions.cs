using ILGPU;

namespace NetGen.Gpu;

/// <summary>
/// The sums the kernel library needs besides products, each in one fixed order, so a sum gives
/// the same bits on every run: no atomics anywhere.
/// </summary>
public static class Reductions
{
    /// <summary>Threads per group of <see cref="SumPlanes"/>.</summary>
    public const int PlaneGroupSize = 256;

    /// <summary>
    /// <c>target[i] += partials[0 * size + i] + partials[1 * size + i] + ...</c>, slice after slice:
    /// the second pass of a product whose inner dimension was split (a weight gradient's sum over
    /// every pixel of the batch).
    /// </summary>
    public static void SumSlices(Index1D i, ArrayView<float> partials, int slices, int size, ArrayView<float> target)
    {
        float sum = 0f;
        for (int s = 0; s < slices; s++)
            sum += partials[(long)s * size + i];
        target[i] += sum;
    }

    /// <summary>
    /// Group c adds every value of channel c of NCHW planes into <c>target[c]</c> (a bias
    /// gradient): thread t sums pixels t, t + 256, ... image after image, then the group adds its
    /// 256 sums as a fixed tree in shared memory, halving each round.
    /// </summary>
    /// <remarks>
    /// Not ILGPU.Algorithms' group reduction: on ILGPU's CPU accelerator it gave different bits
    /// from run to run (<c>KernelLibraryTests.SplitWeightGradientGivesTheSameBitsEveryRun</c>
    /// caught it), and every sum here must have one order.
    /// </remarks>
    public static void SumPlanes(ArrayView<float> planes, int images, int channels, int pixels, ArrayView<float> target)
    {
        var partial = SharedMemory.Allocate<float>(PlaneGroupSize);
        int c = Grid.IdxX, thread = Group.IdxX;
        float sum = 0f;
        for (int n = 0; n < images; n++)
        {
            long plane = ((long)n * channels + c) * pixels;
            for (int p = thread; p < pixels; p += PlaneGroupSize)
                sum += planes[plane + p];
        }
        partial[thread] = sum;
        Group.Barrier();
        for (int half = PlaneGroupSize / 2; half > 0; half >>= 1)
        {
            if (thread < half)
                partial[thread] += partial[thread + half];
            Group.Barrier();
        }
        if (thread == 0)
            target[c] += partial[0];
    }
}
