using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Kernels.Backward;

/// <summary>
/// A convolution's three gradients, each a gather with one thread per value it writes, so no two
/// threads add to the same place and the sums come out in the same order on every device.
/// </summary>
internal static class ConvGradients
{
    /// <summary>One thread per filter: the sum of its output gradient over the batch and the plane.</summary>
    public static void Bias(SourceWriter w, OpModel op)
    {
        Shape output = op.Output;
        int plane = output.Height * output.Width;
        w.Line("float sum = 0f;");
        using (w.Block("for (int n = 0; n < batch; n++)"))
        {
            w.Line($"int deltaPlane = (n * {output.Channels} + index) * {plane};");
            w.Line($"for (int p = 0; p < {plane}; p++)");
            w.Line("    sum += delta[deltaPlane + p];");
        }
        w.Line("biasGradient[index] += sum;");
    }

    /// <summary>One thread per weight (f, c, ky, kx): output gradient times the input it multiplied, over the batch and every output position.</summary>
    public static void Weight(SourceWriter w, ConvSpec conv, OpModel op)
    {
        Shape input = op.Input, output = op.Output;
        int perGroup = input.Channels / conv.Groups, k = conv.Kernel;
        w.Line($"int kx = index % {k};");
        w.Line($"int ky = index / {k} % {k};");
        w.Line($"int c = index / {k * k} % {perGroup};");
        w.Line($"int f = index / {k * k * perGroup};");
        string channel = conv.Groups > 1 ? $"f / {conv.Filters / conv.Groups} * {perGroup} + c" : "c";
        if (conv.Groups > 1)
            w.Line($"int inputChannel = {channel}; // c within f's group");
        w.Line("float sum = 0f;");
        using (w.Block("for (int n = 0; n < batch; n++)"))
        {
            w.Line($"int deltaPlane = (n * {output.Channels} + f) * {output.Height};");
            w.Line($"int inputPlane = (n * {input.Channels} + {(conv.Groups > 1 ? "inputChannel" : "c")}) * {input.Height};");
            using (KernelEmitter.WindowAxis(w, 'y', input.Height, output.Height, k, conv.Stride, conv.Pad, overOutputs: true))
            {
                w.Line($"int deltaRow = (deltaPlane + oy) * {output.Width};");
                w.Line($"int inputRow = (inputPlane + iy) * {input.Width};");
                using (KernelEmitter.WindowAxis(w, 'x', input.Width, output.Width, k, conv.Stride, conv.Pad, overOutputs: true))
                    w.Line("sum += delta[deltaRow + ox] * input[inputRow + ix];");
            }
        }
        w.Line("weightGradient[index] += sum;");
    }

    /// <summary>One thread per input value: every output it fed, through the weight that fed it.</summary>
    public static void Input(SourceWriter w, ConvSpec conv, OpModel op)
    {
        Shape input = op.Input, output = op.Output;
        int perGroup = input.Channels / conv.Groups, perGroupFilters = conv.Filters / conv.Groups, k = conv.Kernel;
        KernelEmitter.Decompose(w, input, "c", "iy", "ix");
        string filters = "int f = 0; f < " + conv.Filters + "; f++";
        string weightChannel = "c";
        if (conv.Groups > 1)
        {
            w.Line($"int firstFilter = c / {perGroup} * {perGroupFilters}; // the filters of c's group");
            w.Line($"int weightChannel = c % {perGroup};");
            filters = $"int f = firstFilter; f < firstFilter + {perGroupFilters}; f++";
            weightChannel = "weightChannel";
        }
        w.Line("float gradient = 0f;");
        using (w.Block($"for ({filters})"))
        {
            w.Line($"int deltaPlane = (n * {output.Channels} + f) * {output.Height};");
            w.Line($"int weightPlane = (f * {perGroup} + {weightChannel}) * {k};");
            using (KernelEmitter.OutputsTouching(w, 'y', input.Height, output.Height, k, conv.Stride, conv.Pad))
            {
                w.Line($"int deltaRow = (deltaPlane + oy) * {output.Width};");
                w.Line($"int weightRow = (weightPlane + ky) * {k};");
                using (KernelEmitter.OutputsTouching(w, 'x', input.Width, output.Width, k, conv.Stride, conv.Pad))
                    w.Line("gradient += delta[deltaRow + ox] * weight[weightRow + kx];");
            }
        }
    }
}
