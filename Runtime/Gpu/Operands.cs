using ILGPU;
using NetGen.Cpu;

namespace NetGen.Gpu;

/// <summary>An operand of <see cref="TiledProduct"/>: element (row, column), called only inside the matrix.</summary>
public interface IOperand
{
    /// <summary>The value at (<paramref name="row"/>, <paramref name="column"/>).</summary>
    float Load(int row, int column);
}

/// <summary>A dense matrix read through its strides: <c>M(i, j) = data[i * rowStride + j * columnStride]</c>; a transposed matrix swaps the strides.</summary>
/// <param name="data">The matrix's first element.</param>
/// <param name="rowStride">Elements from one row to the next.</param>
/// <param name="columnStride">Elements from one column to the next.</param>
public readonly struct DenseOperand(ArrayView<float> data, int rowStride, int columnStride) : IOperand
{
    private readonly ArrayView<float> data = data;
    private readonly int rowStride = rowStride, columnStride = columnStride;

    /// <inheritdoc/>
    public float Load(int row, int column) => data[(long)row * rowStride + (long)column * columnStride];
}

/// <summary>
/// A convolution's input lowered (im2col) without being written: row (c, ky, kx) of one group,
/// column (image, oy, ox) is the input value that tap multiplies for that output pixel, zero in
/// the padding. The forward pass multiplies the weights by it; transposed, it is the weight
/// gradient's right operand.
/// </summary>
/// <param name="input">The whole NCHW input.</param>
/// <param name="g">The convolution's sizes.</param>
/// <param name="group">Which group's channels the rows cover.</param>
/// <param name="transposed">Rows are (image, oy, ox) and columns (c, ky, kx) instead.</param>
public readonly struct LoweredInput(ArrayView<float> input, ConvGeometry g, int group, bool transposed) : IOperand
{
    private readonly ArrayView<float> input = input;
    private readonly ConvGeometry g = g;
    private readonly int firstChannel = group * g.GroupChannels;
    private readonly Divisor taps = new(g.Kernel * g.Kernel), kernel = new(g.Kernel), outPixels = new(g.OutPixels), outWidth = new(g.OutWidth);
    private readonly int transposed = transposed ? 1 : 0; // ILGPU's kernel parameters are blittable: no bool

    /// <inheritdoc/>
    public float Load(int row, int column)
    {
        int tap = transposed != 0 ? column : row, pixel = transposed != 0 ? row : column;
        int c = taps.Divide(tap), t = tap - c * taps.Value, ky = kernel.Divide(t), kx = t - ky * g.Kernel;
        int image = outPixels.Divide(pixel), p = pixel - image * g.OutPixels, oy = outWidth.Divide(p), ox = p - oy * g.OutWidth;
        int iy = oy * g.Stride + ky - g.Pad, ix = ox * g.Stride + kx - g.Pad;
        if (iy < 0 || iy >= g.Height || ix < 0 || ix >= g.Width)
            return 0f;
        return input[(((long)image * g.Channels + firstChannel + c) * g.Height + iy) * g.Width + ix];
    }
}

/// <summary>
/// NCHW planes as a matrix of channels x (image, pixel): a convolution's output gradient, the
/// weight gradient's left operand.
/// </summary>
/// <param name="planes">The whole NCHW tensor.</param>
/// <param name="channels">Its channels.</param>
/// <param name="pixels">Its pixels per plane.</param>
/// <param name="firstChannel">The channel row 0 is.</param>
public readonly struct PlanesOperand(ArrayView<float> planes, int channels, int pixels, int firstChannel) : IOperand
{
    private readonly ArrayView<float> planes = planes;
    private readonly int channels = channels, pixels = pixels, firstChannel = firstChannel;
    private readonly Divisor perImage = new(pixels);

    /// <inheritdoc/>
    public float Load(int row, int column)
    {
        int image = perImage.Divide(column), p = column - image * pixels;
        return planes[((long)image * channels + firstChannel + row) * pixels + p];
    }
}

/// <summary>
/// One group's weights as the input gradient's left operand: row c (an input channel), column
/// (f, ky, kx), <c>W[f, c, ky, kx]</c>.
/// </summary>
/// <param name="weights">The whole weight tensor (filters x group channels x kernel x kernel).</param>
/// <param name="g">The convolution's sizes.</param>
/// <param name="group">Which group's filters the columns cover.</param>
public readonly struct WeightsByChannel(ArrayView<float> weights, ConvGeometry g, int group) : IOperand
{
    private readonly ArrayView<float> weights = weights;
    private readonly int taps = g.Taps, k2 = g.Kernel * g.Kernel, firstFilter = group * g.GroupFilters;
    private readonly Divisor perFilter = new(g.Kernel * g.Kernel);

    /// <inheritdoc/>
    public float Load(int row, int column)
    {
        int f = perFilter.Divide(column), t = column - f * k2;
        return weights[(long)(firstFilter + f) * taps + row * k2 + t];
    }
}

/// <summary>
/// The output gradient gathered for the input gradient: row (f, ky, kx) of one group, column
/// (image, iy, ix) is <c>dY[image, f, oy, ox]</c> for the output pixel whose tap (ky, kx) read input
/// pixel (iy, ix), zero where no output pixel did. Each input pixel's gradient is then a dot
/// product, gathered rather than scattered, so no two threads add into one place.
/// </summary>
/// <param name="gradient">The whole NCHW output gradient.</param>
/// <param name="g">The convolution's sizes.</param>
/// <param name="group">Which group's filters the rows cover.</param>
public readonly struct OutputGradientWindows(ArrayView<float> gradient, ConvGeometry g, int group) : IOperand
{
    private readonly ArrayView<float> gradient = gradient;
    private readonly ConvGeometry g = g;
    private readonly int firstFilter = group * g.GroupFilters;
    private readonly Divisor taps = new(g.Kernel * g.Kernel), kernel = new(g.Kernel), pixels = new(g.Pixels), width = new(g.Width), stride = new(g.Stride);

    /// <inheritdoc/>
    public float Load(int row, int column)
    {
        int f = taps.Divide(row), t = row - f * taps.Value, ky = kernel.Divide(t), kx = t - ky * g.Kernel;
        int image = pixels.Divide(column), p = column - image * g.Pixels, iy = width.Divide(p), ix = p - iy * g.Width;
        int sy = iy + g.Pad - ky, sx = ix + g.Pad - kx;
        if (sy < 0 || sx < 0)
            return 0f;
        int oy = stride.Divide(sy), ox = stride.Divide(sx);
        if (oy * g.Stride != sy || ox * g.Stride != sx || oy >= g.OutHeight || ox >= g.OutWidth)
            return 0f;
        return gradient[(((long)image * g.Filters + firstFilter + f) * g.OutHeight + oy) * g.OutWidth + ox];
    }
}
