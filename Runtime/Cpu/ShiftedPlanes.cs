using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NetGen.Cpu;

/// <summary>
/// The lowered (im2col) matrix of a stride-1 convolution whose output is its input's size, never
/// written out: row (c, ky, kx), column (image, pixel) is channel c of that image shifted by
/// (ky - pad, kx - pad), zero where the shift leaves the plane. The product packs its panels
/// straight from the NCHW planes with masked loads, so a layer no longer writes and rereads a
/// taps x pixels matrix ten times the size of its input. Forward passes lower the input this way,
/// the input's gradient is the same kind of convolution of the output's gradient, and the weight
/// gradient's product reads the lowered input six rows at a time (<see cref="Rows"/>).
/// </summary>
internal readonly unsafe struct ShiftedPlanes : IPanelSource, IRowSource
{
    private readonly float* first;
    private readonly long imageStride;
    private readonly int width, pixels, kernel, pad, columns, onesRow;

    /// <summary>For tap t and pixel p, bit i says whether pixel p + i reads inside the plane (bits past the plane are 0).</summary>
    private readonly ushort* valid;

    /// <param name="first">Channel 0 of the first image (the group's first channel).</param>
    /// <param name="imageStride">Floats from one image to the next.</param>
    /// <param name="height">The planes' height.</param>
    /// <param name="width">The planes' width.</param>
    /// <param name="kernel">The square kernel's side.</param>
    /// <param name="images">Images: the matrix has images x height x width columns.</param>
    /// <param name="slot">The <see cref="Host.Scratch"/> slot for the validity table.</param>
    /// <param name="onesRow">A row after the planes' rows that is all ones (the weight gradient's product makes the bias gradient with it), or -1.</param>
    public ShiftedPlanes(float* first, long imageStride, int height, int width, int kernel, int images, int slot, int onesRow = -1)
    {
        this.onesRow = onesRow;
        this.first = first;
        this.imageStride = imageStride;
        this.width = width;
        pixels = height * width;
        this.kernel = kernel;
        pad = (kernel - 1) / 2;
        columns = images * pixels;
        int taps = kernel * kernel;
        valid = (ushort*)Host.Scratch(slot, (long)taps * pixels * sizeof(ushort));
        for (int tap = 0; tap < taps; tap++)
        {
            int dy = tap / kernel - pad, dx = tap % kernel - pad;
            uint bits = 0;
            for (int p = pixels - 1; p >= 0; p--)
            {
                int y = p / width + dy, x = p % width + dx;
                bits = (bits << 1 | (y >= 0 && y < height && x >= 0 && x < width ? 1u : 0u)) & 0xFFFF;
                valid[(long)tap * pixels + p] = (ushort)bits;
            }
        }
    }

    /// <summary>Whether a convolution can be lowered this way: stride 1, odd kernel, output the input's size, and AVX-512 for the masked loads.</summary>
    public static bool Fits(in ConvGeometry g) =>
        g.Stride == 1 && g.Kernel % 2 == 1 && g.Pad * 2 == g.Kernel - 1 && g.OutHeight == g.Height && g.OutWidth == g.Width && Avx512F.IsSupported;

    /// <summary>Lane i's bit, 1 &lt;&lt; i (a property, so the JIT folds it: see Host.FirstLanes).</summary>
    private static Vector512<int> LaneBits { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => Vector512.Create(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768); }

    /// <summary>Kernels up to 7 x 7 keep every tap's masks for a panel on the stack.</summary>
    private const int MaxTableTaps = 49;

    /// <summary>
    /// Rows k0..k0+kc-1, columns j0..j0+nc-1, in panels of <see cref="Gemm.Nr"/> columns. Each
    /// 16-column half of a panel is one masked load per image it spans (two for a 7 x 7 plane at
    /// most). Which images and pixels those are depends only on the panel, and the mask and the
    /// shift only on the tap, so a panel first tabulates every tap's masks and offsets, and each
    /// row is then two or four masked loads.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Pack(int k0, int kc, int j0, int nc, float* pack)
    {
        int taps = kernel * kernel;
        // Up to 16 spans per half: (lane, image, pixel, lanes), for planes as small as one pixel.
        var spans = stackalloc int[2 * 16 * 4];
        var spanCount = stackalloc int[2];
        // Per tap, half and span (two at most): the load's mask and its offset from the channel's plane.
        var masks = stackalloc Vector512<float>[MaxTableTaps * 4];
        var offsets = stackalloc long[MaxTableTaps * 4];
        for (int panel = 0; panel * Gemm.Nr < nc; panel++)
        {
            int jp = j0 + panel * Gemm.Nr;
            for (int half = 0; half < 2; half++)
            {
                int count = 0, lane = 0;
                while (lane < 16)
                {
                    int j = jp + half * 16 + lane;
                    if (j >= Math.Min(columns, j0 + nc))
                        break;
                    int image = j / pixels, pixel = j % pixels, lanes = Math.Min(16 - lane, pixels - pixel);
                    int* s = spans + (half * 16 + count++) * 4;
                    s[0] = lane; s[1] = image; s[2] = pixel; s[3] = lanes;
                    lane += lanes;
                }
                spanCount[half] = count;
            }
            float* dst = pack + (long)panel * Gemm.Nr * kc;
            if (taps > MaxTableTaps || spanCount[0] > 2 || spanCount[1] > 2)
            {
                PackRows(k0, kc, spans, spanCount, dst);
                continue;
            }
            for (int tap = 0; tap < taps; tap++)
                for (int half = 0; half < 2; half++)
                    for (int i = 0; i < 2; i++)
                    {
                        int at = tap * 4 + half * 2 + i;
                        masks[at] = Vector512<float>.Zero;
                        offsets[at] = 0;
                        if (i < spanCount[half])
                            (masks[at], offsets[at]) = Span(spans + (half * 16 + i) * 4, tap);
                    }
            int channel = k0 / taps, t = k0 % taps;
            for (int kk = 0; kk < kc; kk++, dst += Gemm.Nr)
            {
                float* plane = first + (long)channel * pixels;
                int at = t * 4;
                var low = Avx512F.MaskLoad(plane + offsets[at], masks[at], Vector512<float>.Zero)
                    | Avx512F.MaskLoad(plane + offsets[at + 1], masks[at + 1], Vector512<float>.Zero);
                var high = Avx512F.MaskLoad(plane + offsets[at + 2], masks[at + 2], Vector512<float>.Zero)
                    | Avx512F.MaskLoad(plane + offsets[at + 3], masks[at + 3], Vector512<float>.Zero);
                low.Store(dst);
                high.Store(dst + 16);
                if (++t == taps)
                {
                    t = 0;
                    channel++;
                }
            }
        }
    }

    /// <summary>
    /// The mask and offset of one span for one tap: lane i reads pixel + i - lane of its image,
    /// shifted by the tap, and lanes outside the mask (outside the span, or reading outside the
    /// plane) are not read at all.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private (Vector512<float> Mask, long Offset) Span(int* span, int tap)
    {
        int lane = span[0], pixel = span[2];
        int bits = valid[(long)tap * pixels + pixel] << lane; // bits past the plane are 0, past the half ignored
        var mask = Vector512.Equals(Vector512.Create(bits) & LaneBits, LaneBits).AsSingle();
        long shift = (tap / kernel - pad) * width + (tap % kernel - pad);
        return (mask, span[1] * imageStride + shift + pixel - lane);
    }

    /// <summary>
    /// As the left operand (the weight gradient's, rows (c, ky, kx) against columns (image, pixel)):
    /// each row's stretch of columns is written into the buffer 16 columns at a time, one masked
    /// load per image the 16 span, so the lowered input is never written out whole.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public float* Rows(int i0, int rows, int k0, int kc, float* buffer, out long rowStride, out long columnStride)
    {
        int taps = kernel * kernel, stride = (kc + 15) & ~15, chunks = stride / 16;
        // Which images and pixels each 16 columns span depends on the columns alone: worked out
        // once for the six rows. Per span: (lane, image, pixel, lanes); per chunk: its first span.
        var spans = stackalloc int[Gemm.Kc * 4];
        var firstSpan = stackalloc int[chunks + 1];
        int count = 0;
        for (int chunk = 0; chunk < chunks; chunk++)
        {
            firstSpan[chunk] = count;
            int k = k0 + chunk * 16;
            for (int lane = 0; lane < 16 && k + lane < Math.Min(columns, k0 + kc);)
            {
                int j = k + lane, pixel = j % pixels, lanes = Math.Min(16 - lane, pixels - pixel);
                int* s = spans + count++ * 4;
                s[0] = lane; s[1] = j / pixels; s[2] = pixel; s[3] = lanes;
                lane += lanes;
            }
        }
        firstSpan[chunks] = count;
        for (int r = 0; r < rows; r++)
        {
            int row = i0 + r;
            float* dst = buffer + (long)r * stride;
            if (row == onesRow)
            {
                new Span<float>(dst, kc).Fill(1f);
                continue;
            }
            int tap = row % taps;
            float* plane = first + (long)(row / taps) * pixels;
            for (int chunk = 0; chunk < chunks; chunk++)
            {
                var v = Vector512<float>.Zero;
                for (int i = firstSpan[chunk]; i < firstSpan[chunk + 1]; i++)
                {
                    var (mask, offset) = Span(spans + i * 4, tap);
                    v |= Avx512F.MaskLoad(plane + offset, mask, Vector512<float>.Zero);
                }
                v.Store(dst + chunk * 16);
            }
        }
        rowStride = stride;
        columnStride = 1;
        return buffer;
    }

    /// <summary>
    /// The rows of <paramref name="channels"/> planes of one image's lowered matrix at pixels <paramref name="pixel"/>..+15 (one
    /// vector per channel and tap, zero where the shift leaves the plane or the pixel is past its
    /// end), for the direct convolutions of <see cref="CpuConv"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Load(float* image, int channels, int pixel, Vector512<float>* rows)
    {
        int taps = kernel * kernel;
        for (int c = 0, row = 0; c < channels; c++)
        {
            float* plane = image + (long)c * pixels;
            for (int tap = 0; tap < taps; tap++, row++)
            {
                var mask = Vector512.Equals(Vector512.Create((int)valid[(long)tap * pixels + pixel]) & LaneBits, LaneBits).AsSingle();
                long shift = (tap / kernel - pad) * width + (tap % kernel - pad);
                rows[row] = Avx512F.MaskLoad(plane + shift + pixel, mask, Vector512<float>.Zero);
            }
        }
    }

    /// <summary>One panel's rows for planes so small that a half spans more than two images: each span's mask is made as the row needs it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PackRows(int k0, int kc, int* spans, int* spanCount, float* dst)
    {
        int taps = kernel * kernel;
        for (int kk = 0; kk < kc; kk++, dst += Gemm.Nr)
        {
            int row = k0 + kk, tap = row % taps;
            float* plane = first + (long)(row / taps) * pixels;
            for (int half = 0; half < 2; half++)
            {
                var v = Vector512<float>.Zero;
                for (int i = 0; i < spanCount[half]; i++)
                {
                    var (mask, offset) = Span(spans + (half * 16 + i) * 4, tap);
                    v |= Avx512F.MaskLoad(plane + offset, mask, Vector512<float>.Zero);
                }
                v.Store(dst + half * 16);
            }
        }
    }
}
