using NetGen.Generator.Model;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit.Kernels.Backward;

/// <summary>
/// Softmax and cross-entropy in one kernel, one thread per image: the probabilities, the image's
/// loss -log p[label] (as max + log sum exp - logit, which never takes the log of an underflowed
/// probability), the label's rank for top-1 and top-5, and the gradient of the batch's mean loss
/// with respect to the logits, (p - y) / N.
/// </summary>
internal static class LossKernel
{
    /// <param name="producer">The kernel that wrote the logits, whose epilogue masks their gradient.</param>
    public static void Body(SourceWriter w, KernelPlan producer, string name)
    {
        string classes = Format.Int(producer.Main.Output.Size);
        w.Line($"int row = index * {classes};");
        w.Line("float max = logits[row];");
        w.Line($"for (int i = 1; i < {classes}; i++)");
        w.Line("    max = logits[row + i] > max ? logits[row + i] : max;");
        w.Line("float sum = 0f;");
        w.Line($"for (int i = 0; i < {classes}; i++)");
        w.Line("    sum += XMath.Exp(logits[row + i] - max);");
        w.Line("int label = labels[index];");
        w.Line("float target = logits[row + label];");
        w.Line("losses[index] = max + XMath.Log(sum) - target;");
        w.Line("// The label's rank: classes scoring above it, ties going to the lower class as a stable sort orders them.");
        w.Line("int rank = 0;");
        w.Line($"for (int i = 0; i < {classes}; i++)");
        w.Line("    rank += logits[row + i] > target || (logits[row + i] == target && i < label) ? 1 : 0;");
        w.Line("ranks[index] = rank;");
        w.Line("float mean = 1f / batch; // the loss is the batch's mean");
        using (w.Block($"for (int i = 0; i < {classes}; i++)"))
        {
            w.Line("float p = XMath.Exp(logits[row + i] - max) / sum;");
            w.Line("probabilities[row + i] = p;");
            w.Line("float gradient = (i == label ? p - 1f : p) * mean;");
            Mask.Write(w, producer, name, "logits", "row + i");
            w.Line("logitsGradient[row + i] = gradient;");
        }
    }
}
