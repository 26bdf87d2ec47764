using System.Linq;

namespace NetGen.Interchange;

/// <summary>The operations without a window or a weight matrix: normalisations, activations, the residual add, softmax, dropout and flattening.</summary>
internal sealed partial class StepReader
{
    private ImportStep BatchNorm(OnnxNode node)
    {
        string x = node.Input(0);
        var input = Data(node, x);
        if (input.Flat && !input.Shape.IsVector)
            throw model.Refuse(node, $"normalises each of the {input.Shape.Size} values of a flattened {input.Shape} value; NetGen's BatchNorm there normalises each channel");
        if (node.Int("training_mode", 0) != 0 || node.Int("spatial", 1) != 1)
            throw model.Refuse(node, "runs in training mode (or per value rather than per channel); NetGen imports a model in evaluation mode, normalised per channel");
        int channels = input.Shape.Channels;
        float eps = node.Float("epsilon", 1e-5f);
        // ONNX's momentum weighs the running estimate, PyTorch's and NetGen's the batch: 0.9 is 0.1.
        float momentum = (float)(1m - (decimal)node.Float("momentum", 0.9f));
        if (!(eps > 0f) || float.IsInfinity(eps) || !(momentum >= 0f && momentum <= 1f))
            throw model.Refuse(node, $"has epsilon {eps} and momentum {node.Float("momentum", 0.9f)}; NetGen's BatchNorm needs a positive epsilon and a momentum in [0, 1]");
        return new BatchNormStep(node, x, input, eps, momentum,
            Floats(node, node.Input(1), "scale", channels).Floats!, Floats(node, node.Input(2), "bias", channels).Floats!,
            Floats(node, node.Input(3), "running mean", channels).Floats!, Floats(node, node.Input(4), "running variance", channels).Floats!);
    }

    /// <summary>An LRN whose settings are <paramref name="settings"/>'s, written by <paramref name="root"/> (itself, or the Concat of a split one).</summary>
    private ImportStep Lrn(OnnxNode settings, OnnxNode root, string x, int columns)
    {
        var input = Spatial(root, x);
        long size = settings.Int("size", 0);
        if (size < 1 || size % 2 == 0)
            throw model.Refuse(settings, $"sums over {size} channels; NetGen's LRN window is odd: the channel and as many either side");
        float alpha = settings.Float("alpha", 1e-4f), beta = settings.Float("beta", 0.75f), bias = settings.Float("bias", 1f);
        if (!(alpha >= 0f) || !(beta >= 0f) || !(bias > 0f) || float.IsInfinity(alpha) || float.IsInfinity(beta) || float.IsInfinity(bias))
            throw model.Refuse(settings, $"has alpha {alpha}, beta {beta} and bias {bias}; NetGen's LRN needs alpha and beta at least 0 and a positive bias (K)");
        return new LrnStep(root, x, new ValueShape(input, Flat: false), checked((int)size), alpha, beta, bias, columns);
    }

    /// <summary>Split into equal parts along the channels, an LRN on each, Concat: NetGen's LRN over that many columns.</summary>
    private ImportStep ColumnLrn(PatternMatch pattern)
    {
        var split = pattern.Nodes[0];
        int parts = pattern.Nodes.Count - 2;
        var input = Spatial(split, pattern.Input);
        long[] sizes = split.Input(1).Length > 0 ? Integers(split, split.Input(1), "split sizes")
            : split.Ints("split")?.ToArray() ?? Enumerable.Repeat((long)input.Channels / parts, parts).ToArray();
        if (input.Channels % parts != 0 || sizes.Length != parts || sizes.Any(s => s * parts != input.Channels))
            throw model.Refuse(split, $"splits {input.Channels} channels into [{string.Join(", ", sizes)}] for its LRNs; NetGen's columns are equal parts");
        return Lrn(pattern.Nodes[1], pattern.Root, pattern.Input, parts);
    }

    private ImportStep Activation(OnnxNode node, string name, float value, float fallback, string what, bool mustBeNonNegative)
    {
        if (!float.IsFinite(value) || (mustBeNonNegative && value < 0f))
            throw model.Refuse(node, $"has {what} {value}; NetGen's {name} takes a finite{(mustBeNonNegative ? ", non-negative" : "")} one");
        string attribute = value == fallback ? name : $"{name}({ImportText.Float(value)})";
        return new PlainStep(node, node.Input(0), Data(node, node.Input(0)), attribute);
    }

    private ImportStep Add(OnnxNode node)
    {
        string a = node.Input(0), b = node.Input(1);
        foreach (string operand in new[] { a, b }.Where(model.Constants.ContainsKey))
            throw model.Refuse(node, $"adds the constant \"{operand}\"; NetGen's Add adds an earlier layer's output");
        var (first, second) = (Data(node, a), Data(node, b));
        if (first != second)
            throw model.Refuse(node, $"adds a {first} value and a {second} one; NetGen's Add takes two of the same shape");
        return new AddStep(node, a, b, first);
    }

    private ImportStep Softmax(OnnxNode node)
    {
        string x = node.Input(0);
        var input = Data(node, x);
        // Before opset 13 Softmax flattens everything from its axis on; since, it runs along the axis alone.
        long axis = node.Int("axis", model.Opset < 13 ? 1 : -1);
        bool wholeImage = input.Flat ? axis is 1 or -1 : axis is 1 or -3 && (model.Opset < 13 || input.Shape.IsVector);
        if (!wholeImage)
            throw model.Refuse(node, $"takes the softmax along axis {axis} of a {input} value; NetGen's Softmax runs over each image's outputs together");
        return new SoftmaxStep(node, x, input);
    }

    private ImportStep Dropout(OnnxNode node)
    {
        string x = node.Input(0);
        float ratio = OnnxModel.DropoutRatio(node, model.Constants, model.Opset)
            ?? throw model.Refuse(node, "takes its ratio from the graph; NetGen's Dropout needs it as a constant");
        if (node.Input(2).Length > 0 && model.Constant(node, node.Input(2), "training mode").Scalar != 0f)
            throw model.Refuse(node, "runs in training mode; NetGen imports a model in evaluation mode, where dropout passes its input on");
        if (!(ratio >= 0f && ratio < 1f))
            throw model.Refuse(node, $"drops at the rate {ratio}; NetGen's Dropout takes a rate in [0, 1)");
        return new DropoutStep(node, x, Data(node, x), ratio);
    }

    private ImportStep Flatten(OnnxNode node)
    {
        string x = node.Input(0);
        var input = Data(node, x);
        long axis = node.Int("axis", 1);
        if (input.Flat ? axis is not (1 or -1) : axis is not (1 or -3))
            throw model.Refuse(node, $"flattens a {input} value from axis {axis}; NetGen flattens each image whole, from axis 1");
        return new FlattenStep(node, x, input with { Flat = true });
    }

    /// <summary>A Reshape to (N, -1), (0, -1), (N, features) or (-1, features): each image flattened.</summary>
    private ImportStep Reshape(OnnxNode node)
    {
        string x = node.Input(0);
        var input = Data(node, x);
        var target = Integers(node, node.Input(1), "shape");
        long features = input.Shape.Size;
        long? batch = model.InputDimensions.Count > 0 ? model.InputDimensions[0] : null;
        bool batchKept = target.Length == 2 && (target[0] == 0 || (target[0] == -1 && target[1] == features) || (target[0] > 0 && target[0] == batch));
        if (!batchKept || (target[1] != -1 && target[1] != features))
            throw model.Refuse(node, $"reshapes a {input} value to [{string.Join(", ", target)}]; NetGen reshapes only to (N, -1), flattening each image");
        return new FlattenStep(node, x, input with { Flat = true });
    }

    /// <summary>A Squeeze of axes 2 and 3 of a (N, C, 1, 1) value: the flattening after global average pooling.</summary>
    private ImportStep Squeeze(OnnxNode node)
    {
        string x = node.Input(0);
        var input = Data(node, x);
        var axes = model.Opset < 13 ? node.Ints("axes")?.ToArray() : node.Input(1).Length > 0 ? Integers(node, node.Input(1), "axes") : null;
        var normalised = axes?.Select(a => a < 0 ? a + 4 : a).OrderBy(a => a).ToArray();
        if (input.Flat || !input.Shape.IsVector || normalised is null || !normalised.SequenceEqual([2L, 3L]))
            throw model.Refuse(node, $"squeezes axes [{string.Join(", ", axes ?? [])}] of a {input} value; NetGen flattens only a 1 x 1 plane, squeezing axes 2 and 3");
        return new FlattenStep(node, x, input with { Flat = true });
    }

    /// <summary>MatMul by a constant (inputs x units), with the bias <paramref name="bias"/> that an Add after it adds; <paramref name="root"/> writes the result.</summary>
    private ImportStep MatMul(OnnxNode matMul, OnnxNode root, string? bias) => DenseReader.MatMul(this, matMul, root, bias);
}
