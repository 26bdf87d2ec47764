using System.Collections.Generic;

namespace NetGen.Interchange;

/// <summary>A convolution or dense layer: it starts a layer, and holds its weight and, unless the model has none, its bias.</summary>
internal abstract class LearnableStep(OnnxNode node, string input, ValueShape shape, float[] weight, long[] weightDimensions, float[]? bias)
    : ImportStep(node, input, shape)
{
    /// <summary>The weight, in PyTorch's (and NetGen's) layout.</summary>
    public float[] Weight { get; } = weight;

    /// <summary>The weight's dimensions.</summary>
    public long[] WeightDimensions { get; } = weightDimensions;

    /// <summary>The bias, or null for none (<c>Bias = false</c>).</summary>
    public float[]? Bias { get; set; } = bias;

    /// <summary>The weight initializer's name, from which the layer may take its own.</summary>
    public string WeightName { get; init; } = "";

    public override bool StartsLayer => true;

    public override bool IsMain => true;

    /// <summary>The settings every learnable operation may have: no bias, and the earlier layer it reads.</summary>
    protected string Settings(DeclarationContext context) => (Bias is null ? ", Bias = false" : "") + context.InputOf(this);

    public override IEnumerable<SafeTensor> Tensors(string layer)
    {
        yield return View($"{layer}.weight", Weight, WeightDimensions);
        if (Bias is not null)
            yield return View($"{layer}.bias", Bias, Bias.LongLength);
    }

    /// <summary>A float32 tensor over <paramref name="values"/> itself: the import owns its arrays, so nothing of a large model is copied again.</summary>
    public static SafeTensor View(string name, float[] values, params long[] shape) => SafeTensor.Float32Slice(name, values, 0, values.Length, shape);
}

/// <summary>A dense layer: ONNX's Gemm (or MatMul and Add), its weight as (units, inputs).</summary>
internal sealed class DenseStep(OnnxNode node, string input, ValueShape shape, float[] weight, long[] weightDimensions, float[]? bias)
    : LearnableStep(node, input, shape, weight, weightDimensions, bias)
{
    public override string Attribute(DeclarationContext context) => $"Dense({Shape.Shape.Channels}{Settings(context)})";
}

/// <summary>
/// Batch normalisation in evaluation mode, on the running statistics the model holds; the count of
/// batches it has seen is not in ONNX, so it starts at 0.
/// </summary>
internal sealed class BatchNormStep(OnnxNode node, string input, ValueShape shape, float eps, float momentum, float[] scale, float[] shift, float[] mean, float[] variance)
    : ImportStep(node, input, shape)
{
    private const float DefaultEps = 1e-5f, DefaultMomentum = 0.1f;

    /// <summary>The running mean, which absorbs a bias before it (<see cref="LayerGrouping"/>).</summary>
    public float[] Mean { get; set; } = mean;

    public override bool IsMain => true;

    public override string Attribute(DeclarationContext context)
    {
        var settings = new List<string>();
        if (eps != DefaultEps)
            settings.Add($"Eps = {ImportText.Float(eps)}");
        if (momentum != DefaultMomentum)
            settings.Add($"Momentum = {ImportText.Float(momentum)}");
        return settings.Count == 0 ? "BatchNorm" : $"BatchNorm({string.Join(", ", settings)})";
    }

    public override IEnumerable<SafeTensor> Tensors(string layer)
    {
        long channels = scale.LongLength;
        yield return LearnableStep.View($"{layer}.bn.weight", scale, channels);
        yield return LearnableStep.View($"{layer}.bn.bias", shift, channels);
        yield return LearnableStep.View($"{layer}.bn.running_mean", Mean, channels);
        yield return LearnableStep.View($"{layer}.bn.running_var", variance, channels);
        yield return SafeTensor.Int64($"{layer}.bn.num_batches_tracked", [0L]);
    }
}
