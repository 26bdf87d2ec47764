using System.Collections.Generic;
using NetGen.Generator.Model;
using NetGen.Generator.Planning;

namespace NetGen.Generator.Emit.Kernels.Backward;

/// <summary>
/// The derivative of a group's epilogue, written where a gradient is stored. ReLU and dropout both
/// keep a value or zero it (dropout also scales), so the stored output tells ReLU's mask: where a
/// dropout dropped the value its own factor is zero anyway, and elsewhere the output is positive
/// exactly where the ReLU passed. Dropout's mask is drawn again from the same hash as forward.
/// </summary>
internal static class Mask
{
    /// <param name="producer">The forward kernel whose output <paramref name="activation"/> is.</param>
    /// <param name="name">That output's name, for the comments: conv1, fc6.</param>
    /// <param name="activation">The view holding that output.</param>
    /// <param name="element">The element's index in it.</param>
    public static void Write(SourceWriter w, KernelPlan producer, string name, string activation, string element)
    {
        foreach (var op in Operations(producer))
        {
            if (op.Op is DropoutSpec d)
            {
                w.Line($"if (dropout.Training != 0) // {name}'s dropout: the forward mask, drawn again");
                w.Line($"    gradient = dropout.Keeps({op.Id}, {element}, {Format.FloatLiteral(d.Rate)}) ? gradient * {Format.FloatLiteral(1f / (1f - d.Rate))} : 0f;");
            }
            else
            {
                w.Line($"if ({activation}[{element}] <= 0f) gradient = 0f; // {name}'s ReLU let nothing through here");
            }
        }
    }

    /// <summary>
    /// The epilogue operations that zero or scale values, in order: the first ReLU (a second one
    /// changes nothing) and every dropout. Both backends mask gradients, and the CPU backend applies
    /// forward passes, by this list.
    /// </summary>
    public static IEnumerable<OpModel> Operations(KernelPlan producer)
    {
        bool relu = false;
        foreach (var op in producer.Epilogue)
        {
            if (op.Op is ReluSpec && !relu)
            {
                relu = true;
                yield return op;
            }
            else if (op.Op is DropoutSpec)
            {
                yield return op;
            }
            else if (op.Op is not ReluSpec)
            {
                // An elementwise operation whose derivative is not "keep or zero" needs its own mask.
                throw UnknownOperation.In(nameof(Mask), op.Op);
            }
        }
    }
}
