using System.Linq;

namespace NetGen.Interchange;

/// <summary>Reads the operations that slide a window: Conv, MaxPool and AveragePool, their padding mapped through <see cref="WindowFit"/>.</summary>
internal static class WindowReader
{
    public static ImportStep Conv(StepReader reader, OnnxNode node)
    {
        var model = reader.Model;
        string x = node.Input(0);
        var input = reader.Spatial(node, x);
        var weight = reader.Floats(node, node.Input(1), "weight");
        if (weight.Dimensions.Length != 4)
            throw model.Refuse(node, $"has a weight of dimensions {weight.DimensionsText}; a 2-D convolution's is (filters, channels / groups, kernel, kernel)");
        long filters = weight.Dimensions[0], perGroup = weight.Dimensions[1];
        if (node.Ints("kernel_shape") is { } declared && !declared.SequenceEqual(weight.Dimensions.Skip(2)))
            throw model.Refuse(node, $"has kernel_shape [{string.Join(", ", declared)}] but a weight of dimensions {weight.DimensionsText}");
        var (kernel, stride) = reader.Window(node, weight.Dimensions[2], weight.Dimensions[3]);
        long groups = node.Int("group", 1);
        if (groups < 1 || perGroup * groups != input.Channels || filters % groups != 0)
            throw model.Refuse(node, $"has {groups} groups of {perGroup} channels each, and reads {input.Channels}");
        var fit = Fit(model, node, input, kernel, stride, ceil: false);
        float[]? bias = node.Input(2).Length > 0 ? reader.Floats(node, node.Input(2), "bias", filters).Floats : null;
        return new ConvStep(node, x, new ValueShape(new Shape(checked((int)filters), fit.Height, fit.Width), Flat: false),
            kernel, stride, checked((int)groups), fit, weight.Floats!, weight.Dimensions, bias) { WeightName = weight.Name };
    }

    public static ImportStep Pool(StepReader reader, OnnxNode node, bool max)
    {
        var model = reader.Model;
        string x = node.Input(0);
        var input = reader.Spatial(node, x);
        var window = node.Ints("kernel_shape");
        if (window is not { Count: 2 })
            throw model.Refuse(node, $"has kernel_shape [{string.Join(", ", window ?? [])}]; NetGen pools over 2-D windows");
        var (kernel, stride) = reader.Window(node, window[0], window[1]);
        var pads = WindowFit.Pads(node, input, kernel, stride, out string? problem) ?? throw model.Refuse(node, problem!);
        if (!max && pads.Distinct().Count() > 1)
            throw model.Refuse(node, $"pads [{string.Join(", ", pads)}] unevenly; NetGen's average pool pads every side alike, and counts the padding");
        if (!max && pads[0] > 0 && node.Int("count_include_pad", 0) == 0)
            throw model.Refuse(node, "leaves its padding out of the average (count_include_pad = 0); NetGen's average pool counts it, as PyTorch's count_include_pad=True does");
        if (pads[0] > kernel / 2)
            throw model.Refuse(node, $"pads by {pads[0]}, over half its {kernel}x{kernel} window; NetGen's pools pad by at most {kernel / 2}");
        var fit = Fit(model, node, input, kernel, stride, ceil: node.Int("ceil_mode", 0) == 1);
        return new PoolStep(node, x, new ValueShape(new Shape(input.Channels, fit.Height, fit.Width), Flat: false), max, kernel, stride, fit);
    }

    private static WindowFit Fit(OnnxModel model, OnnxNode node, Shape input, int kernel, int stride, bool ceil)
    {
        var pads = WindowFit.Pads(node, input, kernel, stride, out string? problem) ?? throw model.Refuse(node, problem!);
        var (fit, why) = WindowFit.Find(input, kernel, stride, pads, ceil);
        return fit ?? throw model.Refuse(node, why!);
    }
}
