using NetGen.Generator.Model;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit.Kernels.Backward;

/// <summary>
/// Softmax and cross-entropy in one kernel, one thread per image: the probabilities, the image's
/// loss -sum q log p against the target q (as max + log sum exp - sum q * logit, which never takes
/// the log of an underflowed probability), the label's rank for top-1 and top-5 (NetGen.Ranking's rule, called from the kernel), and the gradient
/// of the batch's mean loss with respect to the logits, (p - q) / N. The target is one-hot, or with
/// label smoothing e, 1 - e on the label plus e / classes on every class.
/// </summary>
internal static class LossKernel
{
    /// <param name="producer">The kernel that wrote the logits, whose epilogue masks their gradient.</param>
    public static void Body(SourceWriter w, KernelPlan producer, string name)
    {
        string classes = Format.Int(producer.Main.Output.Size);
        w.Line($"int row = {IndexMath.Times("index", producer.Main.Output.Size)};");
        w.Line("float max = logits[row];");
        w.Line($"for (int i = 1; i < {classes}; i++)");
        w.Line("    max = logits[row + i] > max ? logits[row + i] : max;");
        w.Line("float sum = 0f, logitSum = 0f;");
        using (w.Block($"for (int i = 0; i < {classes}; i++)"))
        {
            w.Line("sum += XMath.Exp(logits[row + i] - max);");
            w.Line("logitSum += logits[row + i];");
        }
        w.Line("int label = labels[index];");
        w.Line($"float target = logits[row + label], spread = smoothing / {classes};");
        w.Line("losses[index] = max + XMath.Log(sum) - ((1f - smoothing) * target + spread * logitSum);");
        w.Line("// The label's rank by the logits, in NetGen.Ranking's order (the CPU backend's and the evaluator's):");
        w.Line("// classes before it, a NaN before every number, ties going to the lower class.");
        w.Line("int rank = 0;");
        w.Line($"for (int i = 0; i < {classes}; i++)");
        w.Line("    rank += global::NetGen.Ranking.Precedes(logits[row + i], i, target, label) ? 1 : 0;");
        w.Line("ranks[index] = rank;");
        w.Line("float mean = 1f / batch; // the loss is the batch's mean");
        using (w.Block($"for (int i = 0; i < {classes}; i++)"))
        {
            w.Line("float p = XMath.Exp(logits[row + i] - max) / sum;");
            w.Line("probabilities[row + i] = p;");
            w.Line("float gradient = (p - (i == label ? 1f - smoothing + spread : spread)) * mean;");
            Mask.Write(w, producer, name, "logits", "row + i");
            w.Line("logitsGradient[row + i] = gradient;");
        }
    }
}
