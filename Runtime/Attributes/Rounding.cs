#if NETGEN_GENERATOR
// The generator compiles these sources in (Generator/NetGen.Generator.csproj) to read attributes by
// their own names and defaults; in its own namespace, so no project sees two NetGen attributes.
namespace NetGen.Generator.Attributes;
#else
namespace NetGen;
#endif

/// <summary>How a convolution or pooling rounds <c>(in - kernel + 2*pad) / stride + 1</c>.</summary>
public enum Rounding
{
    /// <summary>
    /// Floor, and a division that leaves a remainder is compile error NG0003, so no row or column
    /// of the input is ever dropped without the author saying so. The default.
    /// </summary>
    Exact = 0,

    /// <summary>Round down and ignore the rows and columns left over (PyTorch, Caffe convolutions).</summary>
    Floor = 1,

    /// <summary>
    /// Round up (Caffe pooling, cuda-convnet). The last window may run past the input; it must start
    /// inside the input or its left padding, as in Caffe and PyTorch's <c>ceil_mode</c>.
    /// </summary>
    Ceil = 2,
}

/// <summary>
/// The output size of a sliding window, <c>(in - kernel + 2*pad) / stride + 1</c> rounded as
/// <see cref="Rounding"/> says: the one rule the generator's shapes and the ONNX importer's both follow.
/// </summary>
public static class WindowOutput
{
    /// <summary>
    /// The rounded output size, assuming the window fits: floor (also for <see cref="Rounding.Exact"/>,
    /// which the generator refuses when there is a remainder), or ceil with the last window starting
    /// inside the input or its left padding, as Caffe and PyTorch.
    /// </summary>
    public static int Size(int input, int kernel, int stride, int pad, Rounding round)
    {
        long span = (long)input - kernel + 2L * pad;
        if (round != Rounding.Ceil)
            return (int)(span / stride + 1);
        int output = (int)((span + stride - 1) / stride + 1);
        if (pad > 0 && (long)(output - 1) * stride >= (long)input + pad)
            output--;
        return output;
    }
}
