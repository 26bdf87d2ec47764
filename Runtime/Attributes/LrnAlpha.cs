namespace NetGen;

/// <summary>Which convention the <see cref="LrnAttribute.Alpha"/> of a response normalisation follows.</summary>
public enum LrnAlpha
{
    /// <summary>The paper's formula: <c>k + alpha * sum(a^2)</c>. The default.</summary>
    Paper = 0,

    /// <summary>Caffe's and PyTorch's: <c>k + alpha / size * sum(a^2)</c>.</summary>
    DividedBySize = 1,
}
