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

    /// <summary>Weights each weight-gradient thread computes: a dense layer has millions of weights and little work in each.</summary>
    private const int WeightsPerThread = NetGen.Generator.Planning.BackwardPlanner.DenseWeightsPerThread;

    /// <summary>
    /// One thread per run of <see cref="WeightsPerThread"/> weights of a unit's row: each weight (unit, i)
    /// is the outer product of output gradient and input, summed over the batch.
    /// </summary>
    public static void Weight(SourceWriter w, OpModel op)
    {
        long inputs = op.Input.Size;
        int units = op.Output.Channels;
        long runs = (inputs + WeightsPerThread - 1) / WeightsPerThread;
        w.Line($"int unit = index / {Format.Int(runs)};");
        w.Line($"int first = index % {Format.Int(runs)} * {WeightsPerThread};");
        w.Line($"int end = first + {WeightsPerThread} < {Format.Int(inputs)} ? first + {WeightsPerThread} : {Format.Int(inputs)};");
        using (w.Block("for (int i = first; i < end; i++)"))
        {
            w.Line("float sum = 0f;");
            w.Line("for (int n = 0; n < batch; n++)");
            w.Line($"    sum += delta[n * {units} + unit] * input[n * {Format.Int(inputs)} + i];");
            w.Line($"weightGradient[unit * {Format.Int(inputs)} + i] += sum;");
        }
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
