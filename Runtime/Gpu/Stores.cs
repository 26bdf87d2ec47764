using ILGPU;

namespace NetGen.Gpu;

/// <summary>What <see cref="TiledProduct"/> does with each finished value of C.</summary>
public interface IProductStore
{
    /// <summary>Stores the value of C at (<paramref name="row"/>, <paramref name="column"/>), summed over inner slice <paramref name="slice"/>.</summary>
    void Store(int row, int column, int slice, float value);
}

/// <summary>An activation applied as a value is stored.</summary>
public interface IActivation
{
    /// <summary>The activation of <paramref name="x"/>.</summary>
    float Apply(float x);
}

/// <summary>No activation.</summary>
public readonly struct Identity : IActivation
{
    /// <inheritdoc/>
    public float Apply(float x) => x;
}

/// <summary>ReLU, <c>x &gt; 0 ? x : 0</c> (NaN gives 0, as the generated kernels' ReLU).</summary>
public readonly struct Rectifier : IActivation
{
    /// <inheritdoc/>
    public float Apply(float x) => x > 0f ? x : 0f;
}

/// <summary>
/// Stores C through strides, <c>C[slice * sliceStride + i * rowStride + j * columnStride]</c>:
/// <c>activation(value + rowBias[i] + columnBias[j])</c>, added to what C held with
/// <c>accumulate</c>. An empty bias view adds nothing. Partial products of a split inner dimension
/// go to one matrix per slice, which <see cref="Reductions.SumSlices"/> adds in slice order. With a
/// <c>gate</c> (a ReLU's output, laid out as C), a value is 0 wherever the gate is not above 0.
/// </summary>
/// <param name="data">C's first element.</param>
/// <param name="rowStride">Elements from one row to the next.</param>
/// <param name="columnStride">Elements from one column to the next.</param>
/// <param name="sliceStride">Elements from one slice's matrix to the next.</param>
/// <param name="rowBias">A bias per row, or empty.</param>
/// <param name="columnBias">A bias per column, or empty.</param>
/// <param name="accumulate">Add to C instead of overwriting it.</param>
/// <param name="gate">The gate, or empty.</param>
public readonly struct MatrixStore<TActivation>(ArrayView<float> data, int rowStride, int columnStride, long sliceStride,
    ArrayView<float> rowBias, ArrayView<float> columnBias, bool accumulate, ArrayView<float> gate = default) : IProductStore where TActivation : struct, IActivation
{
    private readonly ArrayView<float> data = data, rowBias = rowBias, columnBias = columnBias, gate = gate;
    private readonly int rowStride = rowStride, columnStride = columnStride;
    private readonly long sliceStride = sliceStride;
    // An int: ILGPU passes only blittable structs to a kernel, and bool is not one.
    private readonly int accumulate = accumulate ? 1 : 0;

    /// <inheritdoc/>
    public void Store(int row, int column, int slice, float value)
    {
        long at = slice * sliceStride + (long)row * rowStride + (long)column * columnStride;
        if (rowBias.Length > 0)
            value += rowBias[row];
        if (columnBias.Length > 0)
            value += columnBias[column];
        if (accumulate != 0)
            value += data[at];
        value = default(TActivation).Apply(value);
        if (gate.Length > 0 && gate[at] <= 0f)
            value = 0f;
        data[at] = value;
    }
}

/// <summary>
/// Stores a product whose columns are (image, pixel) into NCHW planes: row r is channel
/// <c>firstChannel + r</c>, <c>activation(value + bias[r])</c>; an empty bias adds nothing. With a
/// <c>gate</c> (a ReLU's output, in the same layout), a value is 0 wherever the gate is not above 0:
/// an input gradient through the ReLU that wrote the input.
/// </summary>
/// <param name="planes">The whole NCHW tensor.</param>
/// <param name="channels">Its channels.</param>
/// <param name="pixels">Its pixels per plane.</param>
/// <param name="firstChannel">The channel row 0 is (a group's first).</param>
/// <param name="bias">A bias per row, or empty.</param>
/// <param name="gate">The gate, or empty.</param>
public readonly struct PlanesStore<TActivation>(ArrayView<float> planes, int channels, int pixels, int firstChannel, ArrayView<float> bias,
    ArrayView<float> gate = default) : IProductStore where TActivation : struct, IActivation
{
    private readonly ArrayView<float> planes = planes, bias = bias, gate = gate;
    private readonly int channels = channels, pixels = pixels, firstChannel = firstChannel;
    private readonly Divisor perImage = new(pixels);

    /// <inheritdoc/>
    public void Store(int row, int column, int slice, float value)
    {
        int image = perImage.Divide(column), p = column - image * pixels;
        long at = ((long)image * channels + firstChannel + row) * pixels + p;
        if (bias.Length > 0)
            value += bias[row];
        value = default(TActivation).Apply(value);
        if (gate.Length > 0 && gate[at] <= 0f)
            value = 0f;
        planes[at] = value;
    }
}
