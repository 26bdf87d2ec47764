using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading.Tasks;

namespace NetGen.Cpu;

/// <summary>
/// Same-size convolutions with a short filter (MiniAlexNet's conv1: one channel, 3 x 3) computed
/// directly, sixteen pixels at a time, instead of as a matrix product. With an inner dimension of
/// 9 the product spent more time storing and mapping its 6 x 32 tiles than multiplying (15 to 25
/// GFLOP/s), and its weight gradient first transposed the whole output gradient. Here the
/// shifted input vectors are loaded once per sixteen pixels and every filter reuses them.
/// </summary>
public static unsafe partial class CpuConv
{
    /// <summary>The longest filter (channels x kernel x kernel) taken directly: its shifted inputs stay in registers and L1.</summary>
    private const int DirectTaps = 27;

    private static bool IsDirect(in ConvGeometry g) => g.Groups == 1 && g.Taps <= DirectTaps && ShiftedPlanes.Fits(g);

    /// <summary>Forward: each image's planes, sixteen pixels at a time: <c>y[f] = relu?(b[f] + sum over taps of w[f, t] shifted_t(x))</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ForwardDirect(ConvGeometry g, float* x, float* w, float* b, float* y, int batch, bool relu)
    {
        var planes = new ShiftedPlanes(x, (long)g.Channels * g.Pixels, g.Height, g.Width, g.Kernel, batch, slot: 4);
        Host.For(batch, (long)g.Filters * g.Pixels * g.Taps, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (n) =>
        {
            int taps = g.Taps, pixels = g.Pixels;
            var shifted = stackalloc Vector512<float>[DirectTaps];
            float* image = x + (long)n * g.Channels * pixels, output = y + (long)n * g.Filters * pixels;
            for (int p = 0; p < pixels; p += 16)
            {
                planes.Load(image, g.Channels, p, shifted);
                var store = Host.FirstLanes(pixels - p);
                for (int f = 0; f < g.Filters; f++)
                {
                    float* filter = w + (long)f * taps;
                    var sum = Vector512.Create(b is null ? 0f : b[f]);
                    for (int t = 0; t < taps; t++)
                        sum = Vector512.FusedMultiplyAdd(Vector512.Create(filter[t]), shifted[t], sum);
                    if (relu)
                        sum = Vector512.Max(sum, Vector512<float>.Zero);
                    Avx512F.MaskStore(output + (long)f * pixels + p, store, sum);
                }
            }
        });
    }

    /// <summary>
    /// The weight and bias gradients, added into <paramref name="dw"/> and <paramref name="db"/> (null: no bias):
    /// every task sums <c>dy[f] * shifted_t(x)</c> lane by lane over its share of the images into
    /// filters x (taps + 1) vectors, the last one the bias's, and the shares are added at the end.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightGradientDirect(ConvGeometry g, float* x, float* dy, float* dw, float* db, int batch)
    {
        var planes = new ShiftedPlanes(x, (long)g.Channels * g.Pixels, g.Height, g.Width, g.Kernel, batch, slot: 4);
        int taps = g.Taps, row = taps + 1, tasks = Math.Min(batch, 4 * Environment.ProcessorCount);
        int share = (batch + tasks - 1) / tasks;
        tasks = (batch + share - 1) / share;
        var sums = (Vector512<float>*)Host.Scratch(3, (long)tasks * g.Filters * row * sizeof(Vector512<float>));
        Parallel.For(0, tasks, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (task) =>
        {
            int pixels = g.Pixels;
            var shifted = stackalloc Vector512<float>[DirectTaps];
            var mine = sums + (long)task * g.Filters * row;
            new Span<Vector512<float>>(mine, g.Filters * row).Clear();
            for (int n = task * share; n < Math.Min(batch, (task + 1) * share); n++)
            {
                float* image = x + (long)n * g.Channels * pixels, gradient = dy + (long)n * g.Filters * pixels;
                for (int p = 0; p < pixels; p += 16)
                {
                    planes.Load(image, g.Channels, p, shifted);
                    var load = Host.FirstLanes(pixels - p);
                    for (int f = 0; f < g.Filters; f++)
                    {
                        var d = Avx512F.MaskLoad(gradient + (long)f * pixels + p, load, Vector512<float>.Zero);
                        var sum = mine + (long)f * row;
                        for (int t = 0; t < taps; t++)
                            sum[t] = Vector512.FusedMultiplyAdd(d, shifted[t], sum[t]);
                        sum[taps] += d;
                    }
                }
            }
        });
        for (int f = 0; f < g.Filters; f++)
            for (int t = 0; t <= taps; t++)
            {
                var total = Vector512<float>.Zero;
                for (int task = 0; task < tasks; task++)
                    total += sums[((long)task * g.Filters + f) * row + t];
                if (t < taps)
                    dw[(long)f * taps + t] += Vector512.Sum(total);
                else if (db is not null)
                    db[f] += Vector512.Sum(total);
            }
    }
}
