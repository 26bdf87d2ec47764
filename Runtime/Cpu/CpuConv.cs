using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using ILGPU;

namespace NetGen.Cpu;

/// <summary>
/// Convolution on the CPU as a matrix product: the input is lowered (im2col) to a taps x pixels
/// matrix for a chunk of images at once, so even a 13 x 13 layer gives the product thousands of
/// columns, and the weights multiply it with bias and ReLU fused into the product's store, which
/// writes straight into the NCHW output. The backward pass lowers the input again rather than keep
/// a lowered copy of every layer alive between the passes.
/// </summary>
public static unsafe partial class CpuConv
{
    /// <summary>Floats of lowered input per chunk: 16 MB, which bounds memory at any batch size.</summary>
    private const long ChunkFloats = 4L << 20;

    /// <summary>Forward: <c>output = relu?(conv(input, weight) + bias)</c> for <paramref name="batch"/> images, NCHW; an empty <paramref name="bias"/> adds none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward(in ConvGeometry g, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias,
        ArrayView<float> output, int batch, bool relu)
    {
        var geometry = g;
        float* x = Host.Pointer(input), w = Host.Pointer(weight), b = bias.Length == 0 ? null : Host.Pointer(bias), y = Host.Pointer(output);
        if (IsDirect(geometry))
        {
            ForwardDirect(geometry, x, w, b, y, batch, relu);
            return;
        }
        if (ShiftedPlanes.Fits(geometry))
        {
            long* mapped = ColumnMap(1, batch, geometry.OutPixels, (long)geometry.Filters * geometry.OutPixels);
            for (int group = 0; group < geometry.Groups; group++)
            {
                int f0 = group * geometry.GroupFilters;
                var planes = new ShiftedPlanes(x + (long)group * geometry.GroupChannels * geometry.Pixels, (long)geometry.Channels * geometry.Pixels,
                    geometry.Height, geometry.Width, geometry.Kernel, batch, slot: 4);
                Gemm.Multiply(geometry.GroupFilters, batch * geometry.OutPixels, geometry.Taps,
                    new Strided(w + (long)f0 * geometry.Taps, geometry.Taps, 1), planes,
                    new Strided(y + (long)f0 * geometry.OutPixels, geometry.OutPixels, 0, mapped),
                    rowBias: b is null ? null : b + f0, relu: relu);
            }
            return;
        }
        int chunk = ChunkImages(geometry, batch);
        for (int n0 = 0; n0 < batch; n0 += chunk)
        {
            int images = Math.Min(chunk, batch - n0), columns = images * geometry.OutPixels;
            float* lowered = (float*)Host.Scratch(0, (long)geometry.Taps * columns * sizeof(float));
            long* outputColumns = ColumnMap(1, images, geometry.OutPixels, (long)geometry.Filters * geometry.OutPixels);
            for (int group = 0; group < geometry.Groups; group++)
            {
                Lower(geometry, x, n0, images, group, lowered);
                int f0 = group * geometry.GroupFilters;
                Gemm.Multiply(geometry.GroupFilters, columns, geometry.Taps,
                    new Strided(w + (long)f0 * geometry.Taps, geometry.Taps, 1),
                    new Strided(lowered, columns, 1),
                    new Strided(y + ((long)n0 * geometry.Filters + f0) * geometry.OutPixels, geometry.OutPixels, 0, outputColumns),
                    rowBias: b is null ? null : b + f0, relu: relu);
            }
        }
    }

    /// <summary>
    /// Backward: adds the weight and bias gradients into <paramref name="weightGradient"/> and
    /// <paramref name="biasGradient"/> (when it is not empty: a layer without a bias has none), and, when <paramref name="inputGradient"/> is not empty,
    /// writes the input's gradient there. <paramref name="delta"/> is the gradient of the output
    /// before the layer's epilogue, already masked.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Backward(in ConvGeometry g, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> delta,
        ArrayView<float> weightGradient, ArrayView<float> biasGradient, ArrayView<float> inputGradient, int batch)
    {
        var geometry = g;
        float* x = Host.Pointer(input), w = Host.Pointer(weight), dy = Host.Pointer(delta);
        float* dw = Host.Pointer(weightGradient), db = biasGradient.Length == 0 ? null : Host.Pointer(biasGradient);
        float* dx = inputGradient.Length == 0 ? null : Host.Pointer(inputGradient);
        if (IsDirect(geometry))
        {
            WeightGradientDirect(geometry, x, dy, dw, db, batch);
            if (dx is not null)
                InputGradientShifted(geometry, w, dy, dx, batch);
            return;
        }
        // A same-size layer's input gradient is a convolution of its own (InputGradientShifted),
        // which writes no lowered gradient to fold back: at batch 128 it took MiniAlexNet's conv2
        // to conv5 backward passes from 38 to 33 ms in all, against lowering it for conv2 and conv3.
        // Its weight gradient reads the lowered input through ShiftedPlanes as well, six rows at a
        // time, so the whole batch is one chunk.
        bool same = ShiftedPlanes.Fits(geometry), shiftedGradient = dx is not null && same;
        int chunk = same ? batch : ChunkImages(geometry, batch);
        int taps = geometry.Taps, filters = geometry.GroupFilters;
        // The weight gradient is summed transposed (taps x filters), where the product's store is
        // contiguous, and added into the (filters x taps) gradient at the end. A row of ones below
        // the lowered input makes the product's last row the bias gradient, the sum of the output
        // gradient, with no pass of its own over the output gradient.
        int rows = taps + 1;
        float* transposedGradient = (float*)Host.Scratch(3, (long)rows * geometry.Filters * sizeof(float));
        for (int n0 = 0; n0 < batch; n0 += chunk)
        {
            int images = Math.Min(chunk, batch - n0), columns = images * geometry.OutPixels;
            float* lowered = same ? null : (float*)Host.Scratch(0, (long)rows * columns * sizeof(float));
            if (!same)
                new Span<float>(lowered + (long)taps * columns, columns).Fill(1f);
            float* gathered = dx is null || shiftedGradient ? null : (float*)Host.Scratch(1, (long)filters * columns * sizeof(float));
            float* transposed = (float*)Host.Scratch(2, (long)filters * columns * sizeof(float));
            for (int group = 0; group < geometry.Groups; group++)
            {
                int f0 = group * filters;
                GatherDelta(geometry, dy, n0, images, f0, gathered, transposed);
                // (dW^T; db) (taps + 1 x filters) += (lowered; ones) (taps + 1 x columns) . dY^T (columns x filters)
                var gradient = new Strided(transposedGradient + (long)group * rows * filters, filters, 1);
                if (same)
                {
                    var planes = new ShiftedPlanes(x + ((long)n0 * geometry.Channels + group * geometry.GroupChannels) * geometry.Pixels,
                        (long)geometry.Channels * geometry.Pixels, geometry.Height, geometry.Width, geometry.Kernel, images, slot: 4, onesRow: taps);
                    Gemm.Multiply(rows, filters, columns, planes, new Strided(transposed, filters, 1), gradient, accumulate: n0 > 0);
                }
                else
                {
                    Lower(geometry, x, n0, images, group, lowered);
                    Gemm.Multiply(rows, filters, columns, new Strided(lowered, columns, 1), new Strided(transposed, filters, 1), gradient, accumulate: n0 > 0);
                }
                if (dx is null || shiftedGradient)
                    continue;
                // dLowered (taps x columns) = W^T (taps x filters) . dY (filters x columns), then folded back.
                Gemm.Multiply(taps, columns, filters,
                    new Strided(w + (long)f0 * taps, 1, taps),
                    new Strided(gathered, columns, 1),
                    new Strided(lowered, columns, 1));
                Raise(geometry, lowered, n0, images, group, dx);
            }
        }
        if (shiftedGradient)
            InputGradientShifted(geometry, w, dy, dx, batch);
        Host.For(geometry.Filters, taps, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (f) =>
        {
            float* source = transposedGradient + (long)(f / filters) * rows * filters + f % filters;
            float* target = dw + (long)f * taps;
            for (int r = 0; r < taps; r++)
                target[r] += source[(long)r * filters];
            if (db is not null)
                db[f] += source[(long)taps * filters];
        });
    }

    /// <summary>
    /// The input's gradient of a convolution that keeps its input's size: the same kind of
    /// convolution, of the output's gradient by the weights turned half a turn with inputs and
    /// outputs swapped, <c>dX[c] = sum over f and taps of shift(dY[f]) W'[c, f, tap]</c>, where
    /// <c>W'[c, f, t] = W[f, c, K*K - 1 - t]</c>. It is written straight into NCHW, with no lowered
    /// gradient to fold back.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void InputGradientShifted(in ConvGeometry g, float* w, float* dy, float* dx, int batch)
    {
        int k2 = g.Kernel * g.Kernel, channels = g.GroupChannels, filters = g.GroupFilters, inner = filters * k2;
        float* turned = (float*)Host.Scratch(5, (long)channels * inner * sizeof(float));
        long* mapped = ColumnMap(6, batch, g.Pixels, (long)g.Channels * g.Pixels);
        for (int group = 0; group < g.Groups; group++)
        {
            float* groupWeights = w + (long)group * filters * g.Taps;
            for (int c = 0; c < channels; c++)
                for (int f = 0; f < filters; f++)
                    for (int t = 0; t < k2; t++)
                        turned[(long)c * inner + f * k2 + t] = groupWeights[(long)f * g.Taps + c * k2 + k2 - 1 - t];
            var planes = new ShiftedPlanes(dy + (long)group * filters * g.OutPixels, (long)g.Filters * g.OutPixels,
                g.Height, g.Width, g.Kernel, batch, slot: 4);
            Gemm.Multiply(channels, batch * g.Pixels, inner, new Strided(turned, inner, 1), planes,
                new Strided(dx + (long)group * channels * g.Pixels, g.Pixels, 0, mapped));
        }
    }

    private static int ChunkImages(in ConvGeometry g, int batch) =>
        (int)Math.Clamp(ChunkFloats / ((long)g.Taps * g.OutPixels), 1, batch);

    /// <summary>Where column j = (image, pixel) of a product lands: image * imageStride + pixel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static long* ColumnMap(int slot, int images, int pixels, long imageStride)
    {
        long* map = (long*)Host.Scratch(slot, (long)images * pixels * sizeof(long));
        for (int n = 0; n < images; n++)
            for (int p = 0; p < pixels; p++)
                map[n * pixels + p] = n * imageStride + p;
        return map;
    }

    /// <summary>
    /// The group's delta planes as a filters x (images * pixels) matrix in <paramref name="gathered"/>
    /// (when it is not null: the lowered gradient's product reads it), and transposed, (images *
    /// pixels) x filters, in <paramref name="transposed"/>, which the weight gradient's product reads
    /// row by row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GatherDelta(ConvGeometry g, float* dy, int n0, int images, int f0, float* gathered, float* transposed)
    {
        int pixels = g.OutPixels, columns = images * pixels, filters = g.GroupFilters;
        float* first = dy + ((long)n0 * g.Filters + f0) * pixels;
        long imageStride = (long)g.Filters * pixels;
        if (gathered is not null)
            Host.For(filters, columns, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (f) =>
            {
                for (int n = 0; n < images; n++)
                    new ReadOnlySpan<float>(first + n * imageStride + (long)f * pixels, pixels)
                        .CopyTo(new Span<float>(gathered + (long)f * columns + n * pixels, pixels));
            });
        Host.For((columns + 15) / 16, 16L * filters, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (block) =>
            Transpose.Columns(first, imageStride, pixels, filters, columns, block * 16, transposed));
    }

    /// <summary>
    /// im2col: row (c, ky, kx) of <paramref name="lowered"/> holds, for every output pixel of every
    /// image in the chunk, the input value that tap multiplies (zero in the padding).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Lower(ConvGeometry g, float* x, int n0, int images, int group, float* lowered)
    {
        int columns = images * g.OutPixels, k2 = g.Kernel * g.Kernel;
        bool same = IsSame(g);
        Host.For(g.Taps, columns, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (row) =>
        {
            int c = row / k2, ky = row / g.Kernel % g.Kernel, kx = row % g.Kernel;
            float* dst = lowered + (long)row * columns;
            for (int n = 0; n < images; n++)
            {
                float* plane = x + ((long)(n0 + n) * g.Channels + group * g.GroupChannels + c) * g.Pixels;
                if (same)
                {
                    LowerShifted(g, plane, ky - g.Pad, kx - g.Pad, dst);
                    dst += g.OutPixels;
                    continue;
                }
                for (int oy = 0; oy < g.OutHeight; oy++, dst += g.OutWidth)
                {
                    int iy = oy * g.Stride + ky - g.Pad;
                    if (iy < 0 || iy >= g.Height)
                    {
                        for (int ox = 0; ox < g.OutWidth; ox++)
                            dst[ox] = 0f;
                        continue;
                    }
                    var (first, end) = ValidColumns(g, kx);
                    float* src = plane + (long)iy * g.Width + kx - g.Pad;
                    for (int ox = 0; ox < first; ox++)
                        dst[ox] = 0f;
                    // Rows of a 13 x 13 layer are too short for a copy call to pay for itself.
                    if (g.Stride == 1 && end - first >= 64)
                        new ReadOnlySpan<float>(src + first, end - first).CopyTo(new Span<float>(dst + first, end - first));
                    else if (g.Stride == 1)
                        for (int ox = first; ox < end; ox++)
                            dst[ox] = src[ox];
                    else
                        for (int ox = first; ox < end; ox++)
                            dst[ox] = src[ox * g.Stride];
                    for (int ox = end; ox < g.OutWidth; ox++)
                        dst[ox] = 0f;
                }
            }
        });
    }

    /// <summary>
    /// col2im: adds every lowered gradient back onto the input pixel it came from. Each thread owns
    /// whole input channels, so nothing is added twice at once and the order is fixed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Raise(ConvGeometry g, float* lowered, int n0, int images, int group, float* dx)
    {
        int columns = images * g.OutPixels, k2 = g.Kernel * g.Kernel;
        bool same = IsSame(g);
        Host.For(g.GroupChannels, (long)k2 * columns, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (c) =>
        {
            for (int n = 0; n < images; n++)
                new Span<float>(dx + ((long)(n0 + n) * g.Channels + group * g.GroupChannels + c) * g.Pixels, g.Pixels).Clear();
            for (int tap = 0; tap < k2; tap++)
            {
                int ky = tap / g.Kernel, kx = tap % g.Kernel;
                var (first, end) = ValidColumns(g, kx);
                float* src = lowered + ((long)c * k2 + tap) * columns;
                for (int n = 0; n < images; n++)
                {
                    float* plane = dx + ((long)(n0 + n) * g.Channels + group * g.GroupChannels + c) * g.Pixels;
                    if (same)
                    {
                        RaiseShifted(g, src, ky - g.Pad, kx - g.Pad, plane);
                        src += g.OutPixels;
                        continue;
                    }
                    for (int oy = 0; oy < g.OutHeight; oy++, src += g.OutWidth)
                    {
                        int iy = oy * g.Stride + ky - g.Pad;
                        if (iy < 0 || iy >= g.Height)
                            continue;
                        float* dst = plane + (long)iy * g.Width + kx - g.Pad;
                        for (int ox = first; ox < end; ox++)
                            dst[ox * g.Stride] += src[ox];
                    }
                }
            }
        });
    }

    /// <summary>
    /// Stride 1 with an output the input's size: every tap's lowered plane is the input plane
    /// shifted, so it is one contiguous copy (or, raising, one contiguous sum) and a few zeroed
    /// borders, instead of a loop per row; 7-wide rows spent more time in that loop than in copying.
    /// </summary>
    private static bool IsSame(in ConvGeometry g) =>
        g.Stride == 1 && g.OutHeight == g.Height && g.OutWidth == g.Width && g.Pad < g.Width && g.Pad < g.Height;

    /// <summary>
    /// The rows of output pixels whose input row lies inside the plane, and the stretch of the
    /// flattened plane that one shifted copy covers: it leaves out the first or last <c>|dx|</c>
    /// elements, which would come from a neighbouring row (or from outside the plane).
    /// </summary>
    private static (int Top, int Bottom, int Start, int End) Shifted(in ConvGeometry g, int dy, int dx)
    {
        int top = Math.Max(0, -dy), bottom = Math.Min(g.Height, g.Height - dy);
        return (top, bottom, top * g.Width + Math.Max(0, -dx), bottom * g.Width - Math.Max(0, dx));
    }

    /// <summary>One tap's lowered plane: <c>dst(y, x) = src(y + dy, x + dx)</c>, zero outside the input.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void LowerShifted(in ConvGeometry g, float* plane, int dy, int dx, float* dst)
    {
        int width = g.Width;
        var (top, bottom, start, end) = Shifted(g, dy, dx);
        new Span<float>(dst, top * width).Clear();
        new Span<float>(dst + bottom * width, (g.Height - bottom) * width).Clear();
        if (end > start)
            new ReadOnlySpan<float>(plane + start + dy * width + dx, end - start).CopyTo(new Span<float>(dst + start, end - start));
        ZeroWrappedColumns(g, dst, top, bottom, dx);
    }

    /// <summary>Zeroes, in rows top..bottom-1 of a lowered plane, the columns a shift by <paramref name="dx"/> pulled in from the neighbouring row: they are padding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ZeroWrappedColumns(in ConvGeometry g, float* plane, int top, int bottom, int dx)
    {
        int width = g.Width, left = Math.Max(0, -dx), right = Math.Max(0, dx);
        for (int y = top; y < bottom; y++)
        {
            float* row = plane + y * width;
            for (int x = 0; x < left; x++)
                row[x] = 0f;
            for (int x = width - right; x < width; x++)
                row[x] = 0f;
        }
    }

    /// <summary>
    /// The reverse of <see cref="LowerShifted"/>: adds one tap's lowered gradient onto the input
    /// plane. The padding columns are zeroed in the (scratch) source first, so the sum runs over
    /// one contiguous stretch; each element still receives the taps in the same order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void RaiseShifted(in ConvGeometry g, float* src, int dy, int dx, float* plane)
    {
        int width = g.Width;
        var (top, bottom, start, end) = Shifted(g, dy, dx);
        ZeroWrappedColumns(g, src, top, bottom, dx);
        float* target = plane + dy * width + dx;
        int i = start;
        for (; i <= end - 16; i += 16)
            (Vector512.Load(target + i) + Vector512.Load(src + i)).Store(target + i);
        for (; i < end; i++)
            target[i] += src[i];
    }

    /// <summary>The output columns whose tap <paramref name="kx"/> falls inside the input row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (int First, int End) ValidColumns(in ConvGeometry g, int kx)
    {
        // ix = ox * stride + kx - pad must lie in [0, width).
        int first = Math.Max(0, (g.Pad - kx + g.Stride - 1) / g.Stride);
        int last = g.Width - 1 + g.Pad - kx;
        int end = last < 0 ? 0 : Math.Min(g.OutWidth, last / g.Stride + 1);
        return (Math.Min(first, end), end);
    }
}
