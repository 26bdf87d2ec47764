using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Kernels;

/// <summary>
/// A dense layer, one thread per output: a dot product of the flattened input (C * H * W, NCHW
/// order, as PyTorch flattens) with one row of the (units, inputs) weight.
/// </summary>
internal static class DenseKernel
{
    public static void Body(SourceWriter w, OpModel op)
    {
        long inputs = op.Input.Size;
        int units = op.Output.Channels;
        w.Line($"int unit = index % {units};");
        w.Line($"int n = index / {units};");
        w.Line($"int inputRow = n * {Format.Int(inputs)};");
        w.Line($"int weightRow = unit * {Format.Int(inputs)};");
        w.Line("float value = 0f;");
        w.Line($"for (int i = 0; i < {Format.Int(inputs)}; i++)");
        w.Line("    value += input[inputRow + i] * weight[weightRow + i];");
        w.Line("value += bias[unit]; // after the products, which a large bias would otherwise round away");
    }
}
