using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Kernels.Backward;

/// <summary>A dense layer's three gradients, one thread per value written, as in <see cref="ConvGradients"/>.</summary>
internal static class DenseGradients
{
    public static void Bias(SourceWriter w, OpModel op)
    {
        w.Line("float sum = 0f;");
        w.Line("for (int n = 0; n < batch; n++)");
        w.Line($"    sum += delta[n * {op.Output.Channels} + index];");
        w.Line("biasGradient[index] += sum;");
    }

    /// <summary>One thread per weight (unit, i): the outer product of output gradient and input, summed over the batch.</summary>
    public static void Weight(SourceWriter w, OpModel op)
    {
        string inputs = Format.Int(op.Input.Size);
        int units = op.Output.Channels;
        w.Line($"int i = index % {inputs};");
        w.Line($"int unit = index / {inputs};");
        w.Line("float sum = 0f;");
        w.Line("for (int n = 0; n < batch; n++)");
        w.Line($"    sum += delta[n * {units} + unit] * input[n * {inputs} + i];");
        w.Line("weightGradient[index] += sum;");
    }

    /// <summary>One thread per input value: the output gradients through its column of the weight.</summary>
    public static void Input(SourceWriter w, OpModel op)
    {
        string inputs = Format.Int(op.Input.Size);
        int units = op.Output.Channels;
        w.Line($"int i = index % {inputs};");
        w.Line($"int deltaRow = index / {inputs} * {units};");
        w.Line("float gradient = 0f;");
        w.Line($"for (int unit = 0; unit < {units}; unit++)");
        w.Line($"    gradient += delta[deltaRow + unit] * weight[unit * {inputs} + i];");
    }
}
