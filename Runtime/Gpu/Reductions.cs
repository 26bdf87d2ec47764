using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Algorithms.ScanReduceOperations;

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
    /// 256 sums as a tree (ILGPU.Algorithms' group reduction), whose shape depends only on the group size.
    /// </summary>
    public static void SumPlanes(ArrayView<float> planes, int images, int channels, int pixels, ArrayView<float> target)
    {
        int c = Grid.IdxX;
        float sum = 0f;
        for (int n = 0; n < images; n++)
        {
            long plane = ((long)n * channels + c) * pixels;
            for (int p = Group.IdxX; p < pixels; p += PlaneGroupSize)
                sum += planes[plane + p];
        }
        float total = GroupExtensions.Reduce<float, AddFloat>(sum);
        if (Group.IsFirstThread)
            target[c] += total;
    }
}
