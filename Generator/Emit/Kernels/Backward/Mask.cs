using System;
using System.Collections.Generic;
using System.Linq;
using NetGen.Generator.Model;
using NetGen.Generator.Operations;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit.Kernels.Backward;

/// <summary>
/// The derivative of a group's epilogue, written where the gradient of the group's output is
/// stored. An epilogue of gates (ReLU, dropout) masks by the stored output and the dropout mask;
/// any other epilogue is run again from the value its group kept from before it, each operation
/// multiplying its derivative into the gradient (see <see cref="ElementwiseOperation"/>).
/// </summary>
internal static class Mask
{
    /// <param name="producer">The forward kernel whose output the gradient is of.</param>
    /// <param name="name">That output's name, for the comments: conv1, fc6.</param>
    /// <param name="output">The view holding that output.</param>
    /// <param name="element">The element's index in it.</param>
    public static void Write(SourceWriter w, KernelPlan producer, string name, string output, string element)
    {
        if (producer.Saved is null)
        {
            foreach (var op in Gates(producer))
                op.Elementwise.WriteGate(w, op, output, element, name);
            return;
        }
        w.Line($"float value = before[{element}]; // {name}'s epilogue, run again from the value before it");
        ElementwiseCode.Kernel(element).WriteChain(w, producer.Epilogue);
    }

    /// <summary>Whether the epilogue keeps nothing and its gates are one ReLU: its derivative is the mask of the stored output's positive values.</summary>
    public static bool IsLoneRelu(KernelPlan producer) =>
        producer.Saved is null && Gates(producer).ToList() is [var only] && only.Elementwise.IsRectifier;

    /// <summary>Whether the group has no epilogue at all.</summary>
    public static bool IsEmpty(KernelPlan producer) => producer.Epilogue.Count == 0;

    /// <summary>
    /// The gates of an epilogue with nothing kept, in order, less a repeat of an idempotent one (a
    /// second ReLU changes nothing). Both backends mask gradients, and the CPU backend applies
    /// forward passes, by this list.
    /// </summary>
    public static IEnumerable<OpModel> Gates(KernelPlan producer)
    {
        if (producer.Saved is not null)
            throw new InvalidOperationException($"NetGen generator bug: {producer.Method}'s epilogue is not all gates; it is run again from its kept value.");
        var seen = new List<Operation>();
        foreach (var op in producer.Epilogue)
        {
            if (op.Elementwise.IsIdempotent && seen.Contains(op.Op))
                continue;
            seen.Add(op.Op);
            yield return op;
        }
    }
}
