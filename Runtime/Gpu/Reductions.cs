using ILGPU;
using ILGPU.Algorithms;

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
        float total = Tree.Sum(partial, thread, sum);
        if (thread == 0)
            target[c] += total;
    }

    /// <summary>
    /// Group c writes channel c's batch statistics, <c>mean[c]</c> and
    /// <c>inverseDeviation[c] = 1 / sqrt(variance + eps)</c> (the biased variance, as the
    /// normalisation uses), from two passes over the channel: the sum, then the squared deviations
    /// from the mean, each in double and added as a fixed tree.
    /// </summary>
    public static void BatchStatistics(ArrayView<float> planes, int images, int channels, int pixels, float eps,
        ArrayView<float> mean, ArrayView<float> inverseDeviation)
    {
        var partial = SharedMemory.Allocate<double>(PlaneGroupSize);
        int c = Grid.IdxX, thread = Group.IdxX;
        double sum = 0;
        for (int n = 0; n < images; n++)
        {
            long plane = ((long)n * channels + c) * pixels;
            for (int p = thread; p < pixels; p += PlaneGroupSize)
                sum += planes[plane + p];
        }
        double count = (double)images * pixels;
        double average = Tree.Sum(partial, thread, sum) / count;
        double squares = 0;
        for (int n = 0; n < images; n++)
        {
            long plane = ((long)n * channels + c) * pixels;
            for (int p = thread; p < pixels; p += PlaneGroupSize)
            {
                double d = planes[plane + p] - average;
                squares += d * d;
            }
        }
        double variance = Tree.Sum(partial, thread, squares) / count;
        if (thread == 0)
        {
            mean[c] = (float)average;
            inverseDeviation[c] = (float)(1.0 / XMath.Sqrt(variance + eps));
        }
    }

    /// <summary>
    /// Softmax of each row of a batch x classes matrix, one group per row: the row's maximum and
    /// its sum of <c>exp(x - max)</c>, each a fixed tree, then every value divided by the sum.
    /// </summary>
    public static void Softmax(ArrayView<float> input, ArrayView<float> output, int classes)
    {
        var partial = SharedMemory.Allocate<float>(PlaneGroupSize);
        int thread = Group.IdxX;
        long row = (long)Grid.IdxX * classes;
        float max = float.NegativeInfinity;
        for (int i = thread; i < classes; i += PlaneGroupSize)
            max = XMath.Max(max, input[row + i]);
        max = Tree.Max(partial, thread, max);
        float sum = 0f;
        for (int i = thread; i < classes; i += PlaneGroupSize)
            sum += XMath.Exp(input[row + i] - max);
        sum = Tree.Sum(partial, thread, sum);
        for (int i = thread; i < classes; i += PlaneGroupSize)
            output[row + i] = XMath.Exp(input[row + i] - max) / sum;
    }
}

/// <summary>
/// A group's values combined as a fixed tree in shared memory, halving each round: the same
/// order on every device and every run. Every thread of the group must call it; every thread
/// gets the result.
/// </summary>
internal static class Tree
{
    public static float Sum(ArrayView<float> shared, int thread, float value) => Combine<float, AddFloats>(shared, thread, value);

    public static double Sum(ArrayView<double> shared, int thread, double value) => Combine<double, AddDoubles>(shared, thread, value);

    public static float Max(ArrayView<float> shared, int thread, float value) => Combine<float, MaxFloats>(shared, thread, value);

    private static T Combine<T, TOperation>(ArrayView<T> shared, int thread, T value) where T : unmanaged where TOperation : struct, IOperation<T>
    {
        shared[thread] = value;
        Group.Barrier();
        for (int half = Reductions.PlaneGroupSize / 2; half > 0; half >>= 1)
        {
            if (thread < half)
                shared[thread] = default(TOperation).Apply(shared[thread], shared[thread + half]);
            Group.Barrier();
        }
        var total = shared[0];
        Group.Barrier();
        return total;
    }

    private interface IOperation<T>
    {
        T Apply(T left, T right);
    }

    private readonly struct AddFloats : IOperation<float>
    {
        public float Apply(float left, float right) => left + right;
    }

    private readonly struct AddDoubles : IOperation<double>
    {
        public double Apply(double left, double right) => left + right;
    }

    private readonly struct MaxFloats : IOperation<float>
    {
        public float Apply(float left, float right) => XMath.Max(left, right);
    }
}
