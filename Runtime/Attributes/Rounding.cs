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
