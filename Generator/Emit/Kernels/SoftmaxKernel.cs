using NetGen.Generator.Model;

namespace NetGen.Generator.Emit.Kernels;

/// <summary>Softmax over each image's outputs, one thread per image, shifted by the maximum so exp never overflows.</summary>
internal static class SoftmaxKernel
{
    public static void Body(SourceWriter w, OpModel op)
    {
        string size = Format.Int(op.Input.Size);
        w.Line($"int row = index * {size};");
        w.Line("float max = input[row];");
        w.Line($"for (int i = 1; i < {size}; i++)");
        w.Line("    max = input[row + i] > max ? input[row + i] : max;");
        w.Line("float sum = 0f;");
        using (w.Block($"for (int i = 0; i < {size}; i++)"))
        {
            w.Line("float e = XMath.Exp(input[row + i] - max);");
            w.Line("output[row + i] = e;");
            w.Line("sum += e;");
        }
        w.Line("float scale = 1f / sum;");
        w.Line($"for (int i = 0; i < {size}; i++)");
        w.Line("    output[row + i] *= scale;");
    }
}
