#if NETGEN_GENERATOR
// The generator compiles these sources in (Generator/NetGen.Generator.csproj) to read attributes by
// their own names and defaults; in its own namespace, so no project sees two NetGen attributes.
namespace NetGen.Generator.Attributes;
#else
namespace NetGen;
#endif

/// <summary>Which convention the <see cref="LrnAttribute.Alpha"/> of a response normalisation follows.</summary>
public enum LrnAlpha
{
    /// <summary>The paper's formula: <c>k + alpha * sum(a^2)</c>. The default.</summary>
    Paper = 0,

    /// <summary>Caffe's and PyTorch's: <c>k + alpha / size * sum(a^2)</c>.</summary>
    DividedBySize = 1,
}
