#if NETGEN_GENERATOR
// The generator compiles these sources in (Generator/NetGen.Generator.csproj) to read attributes by
// their own names and defaults; in its own namespace, so no project sees two NetGen attributes.
namespace NetGen.Generator.Attributes;
#else
namespace NetGen;
#endif

/// <summary>
/// How a convolution's or dense layer's weights start, as PyTorch's <c>torch.nn.init</c> draws them.
/// fan_in and fan_out are PyTorch's (<c>_calculate_fan_in_and_fan_out</c>): the weight's second and
/// first dimensions times its kernel area, so a grouped convolution's fan_in counts only its group's
/// channels (in / groups * kh * kw) and its fan_out all its filters (out * kh * kw).
/// </summary>
public enum Init
{
    /// <summary>A zero-mean Gaussian of the layer's <c>WeightStd</c> (the paper: 0.01). The default.</summary>
    Gaussian = 0,

    /// <summary><c>kaiming_normal_(w, mode='fan_in', nonlinearity='relu')</c>: std = sqrt(2 / fan_in).</summary>
    HeNormal = 1,

    /// <summary><c>kaiming_normal_(w, mode='fan_out', nonlinearity='relu')</c>: std = sqrt(2 / fan_out).</summary>
    HeNormalFanOut = 2,

    /// <summary><c>xavier_uniform_(w)</c>: U(-a, a), a = sqrt(6 / (fan_in + fan_out)).</summary>
    XavierUniform = 3,

    /// <summary><c>xavier_normal_(w)</c>: std = sqrt(2 / (fan_in + fan_out)).</summary>
    XavierNormal = 4,

    /// <summary>
    /// What <c>nn.Conv2d</c> and <c>nn.Linear</c> do unasked: <c>kaiming_uniform_(w, a=sqrt(5))</c>,
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and the bias from the same range unless <c>BiasInit</c> is set.
    /// </summary>
    PyTorchDefault = 5,
}
