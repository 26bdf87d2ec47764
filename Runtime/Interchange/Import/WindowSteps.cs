using System.Collections.Generic;
using System.Linq;

namespace NetGen.Interchange;

/// <summary>A convolution: ONNX's Conv with its weight (filters, channels / groups, k, k), PyTorch's layout and NetGen's.</summary>
internal sealed class ConvStep(OnnxNode node, string input, ValueShape shape, int kernel, int stride, int groups, WindowFit fit, float[] weight, long[] weightDimensions, float[]? bias)
    : LearnableStep(node, input, shape, weight, weightDimensions, bias)
{
    public override string Attribute(DeclarationContext context) =>
        $"Conv({Shape.Shape.Channels}, Kernel = {kernel}"
        + (stride != 1 ? $", Stride = {stride}" : "")
        + (fit.Pad != 0 ? $", Pad = {fit.Pad}" : "")
        + (groups != 1 ? $", Groups = {groups}" : "")
        + context.Round(fit)
        + Settings(context) + ")";

    /// <summary>Channel groups (ONNX's <c>group</c>).</summary>
    public int Groups => groups;

    /// <summary>How its padding and output size map onto NetGen's.</summary>
    public WindowFit Fit => fit;
}

/// <summary>Max or average pooling over a square window.</summary>
internal sealed class PoolStep(OnnxNode node, string input, ValueShape shape, bool max, int window, int stride, WindowFit fit) : ImportStep(node, input, shape)
{
    public override bool IsMain => true;

    /// <summary>How its padding and output size map onto NetGen's.</summary>
    public WindowFit Fit => fit;

    public override string Attribute(DeclarationContext context) =>
        $"{(max ? "MaxPool" : "AvgPool")}({window}"
        + (stride != window ? $", Stride = {stride}" : "")
        + (fit.Pad != 0 ? $", Pad = {fit.Pad}" : "")
        + context.Round(fit) + ")";
}

/// <summary>
/// Local response normalisation, over <paramref name="columns"/> columns when ONNX split the channels
/// into that many equal parts, normalised each apart and joined again (how NetGen exports columns).
/// </summary>
internal sealed class LrnStep(OnnxNode node, string input, ValueShape shape, int size, float alpha, float beta, float k, int columns) : ImportStep(node, input, shape)
{
    private const float DefaultAlpha = 1e-4f, DefaultBeta = 0.75f, DefaultK = 2f;

    /// <summary>How many columns the channels split into: 1 for ONNX's plain LRN.</summary>
    public int Columns => columns;

    public override bool IsMain => true;

    /// <summary>
    /// ONNX divides alpha by the size (as Caffe and PyTorch do); NetGen's default is the paper's
    /// alpha, which NetGen's export multiplies by the size as a decimal (1e-4 becomes 5e-4). So the
    /// paper's alpha is ONNX's divided by the size as a decimal, when exporting it gives ONNX's back
    /// bit for bit; otherwise ONNX's own alpha with <c>AlphaConvention = LrnAlpha.DividedBySize</c>,
    /// which NetGen divides in float as ONNX Runtime does.
    /// </summary>
    public override string Attribute(DeclarationContext context)
    {
        var settings = new List<string>();
        float paper = (float)((decimal)alpha / size);
        bool asPaper = (float)((decimal)paper * size) == alpha;
        float declared = asPaper ? paper : alpha;
        if (declared != DefaultAlpha)
            settings.Add($"Alpha = {ImportText.Float(declared)}");
        if (beta != DefaultBeta)
            settings.Add($"Beta = {ImportText.Float(beta)}");
        if (k != DefaultK)
            settings.Add($"K = {ImportText.Float(k)}");
        if (!asPaper)
            settings.Add("AlphaConvention = LrnAlpha.DividedBySize");
        return $"Lrn({size}{string.Concat(settings.Select(s => ", " + s))})";
    }
}
