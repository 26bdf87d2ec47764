using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Kernels;

/// <summary>
/// Direct convolution, one thread per output value, the bias added after the products. With groups, filter oc reads only
/// the input channels of its group: weight (filters, channels / groups, k, k) as in PyTorch.
/// </summary>
internal static class ConvKernel
{
    public static void Body(SourceWriter w, ConvSpec conv, OpModel op)
    {
        Shape input = op.Input, output = op.Output;
        int perGroup = input.Channels / conv.Groups;
        KernelEmitter.Decompose(w, output, "oc", "oy", "ox");
        string channel = "c";
        if (conv.Groups > 1)
        {
            w.Line($"int firstChannel = oc / {conv.Filters / conv.Groups} * {perGroup}; // first input channel of oc's group");
            channel = "firstChannel + c";
        }
        KernelEmitter.BeginCompensatedSum(w, "value");
        using (w.Block($"for (int c = 0; c < {perGroup}; c++)"))
        {
            w.Line("float partial = 0f; // this channel's window");
            w.Line($"int inputPlane = (n * {input.Channels} + {channel}) * {input.Height};");
            w.Line($"int weightPlane = (oc * {perGroup} + c) * {conv.Kernel};");
            using (KernelEmitter.WindowAxis(w, 'y', input.Height, output.Height, conv.Kernel, conv.Stride, conv.Pad))
            {
                w.Line($"int inputRow = (inputPlane + iy) * {input.Width};");
                w.Line($"int weightRow = (weightPlane + ky) * {conv.Kernel};");
                using (KernelEmitter.WindowAxis(w, 'x', input.Width, output.Width, conv.Kernel, conv.Stride, conv.Pad))
                    w.Line("partial += input[inputRow + ix] * weight[weightRow + kx];");
            }
            KernelEmitter.AddCompensated(w, "value", "partial");
        }
        KernelEmitter.EndCompensatedSum(w, "value");
        w.Line("value += bias[oc]; // last: a bias of 1 would swallow small products, and ties in a max pool after it would follow");
    }
}
