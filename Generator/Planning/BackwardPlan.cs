using NetGen.Generator.Model;

namespace NetGen.Generator.Planning;

/// <summary>What a backward kernel computes.</summary>
internal enum GradientKind
{
    /// <summary>Softmax and cross-entropy in one kernel: probabilities, per-image losses and ranks, and p - y.</summary>
    Loss,

    /// <summary>The gradient of one of a kernel's tensors (a weight, a bias), summed over the batch into the gradient buffer.</summary>
    Tensor,

    /// <summary>The gradient of a fused group's input, masked by the epilogue of the group that produced it, or, for an input several read, that reader's unmasked part of it.</summary>
    Input,

    /// <summary>The gradient of an activation that several read (or a join reads): the sum of their parts, masked by its group's epilogue.</summary>
    Sum,
}

/// <summary>One reader's part of the gradient of an activation that several read, in a buffer of its own until they are summed.</summary>
/// <param name="Activation">The activation it is a gradient of.</param>
/// <param name="Reader">The forward kernel whose input gradient it is.</param>
internal sealed record PartialGradientPlan(int Activation, int Reader);

/// <summary>One addend of a <see cref="GradientKind.Sum"/>: a reader's partial gradient, or the gradient of a join reader's group, which a join passes on unchanged.</summary>
/// <param name="Partial">Index in <see cref="BackwardPlan.Partials"/>, or -1.</param>
/// <param name="Activation">When <paramref name="Partial"/> is -1: the activation whose gradient is added (the join reader's output).</param>
internal sealed record GradientTerm(int Partial, int Activation);

/// <summary>
/// One backward kernel. The gradient buffer of an activation holds the gradient with respect to its
/// group's value before the epilogue (ReLU, dropout): the kernel that writes it reads the upstream
/// gradient and applies that epilogue's mask as it stores, so no kernel of its own is spent on the mask.
/// </summary>
/// <param name="Method">Conv1WeightGradient, Conv2InputGradient, SoftmaxCrossEntropy.</param>
/// <param name="Kernel">The forward kernel it differentiates; for the loss, the kernel whose output is the logits.</param>
/// <param name="MaskedBy">The forward kernel whose epilogue masks what it writes, or -1 when it writes a parameter gradient.</param>
/// <param name="Tensor">For <see cref="GradientKind.Tensor"/>: which of the operation's tensors, by position; else -1.</param>
/// <param name="Threads">Threads per launch, or per image when <paramref name="PerImage"/>.</param>
/// <param name="Partial">For <see cref="GradientKind.Input"/>: the partial gradient it writes, unmasked, in <see cref="BackwardPlan.Partials"/>; -1 when it writes its input's gradient.</param>
/// <param name="Terms">For <see cref="GradientKind.Sum"/>: what it adds, in the readers' forward order.</param>
internal sealed record BackwardKernelPlan(string Method, GradientKind Kind, int Kernel, int MaskedBy, int Tensor, long Threads, bool PerImage,
    int Partial = -1, EquatableArray<GradientTerm> Terms = default);

/// <summary>The backward pass: its kernels in launch order and the activations whose gradients it keeps.</summary>
/// <param name="Kernels">The loss first, then each forward kernel's gradients in reverse order.</param>
/// <param name="Logits">The activation the loss reads: the softmax's input, or the last activation when there is no softmax.</param>
/// <param name="Probabilities">The activation the loss writes probabilities to (the softmax's output), or -1 to allocate one.</param>
/// <param name="Gradients">The activations that get a gradient buffer.</param>
/// <param name="Partials">The readers' parts of the gradients of activations that several read.</param>
internal sealed record BackwardPlan(
    EquatableArray<BackwardKernelPlan> Kernels,
    int Logits,
    int Probabilities,
    EquatableArray<int> Gradients,
    EquatableArray<PartialGradientPlan> Partials)
{
    /// <summary>The kernel that computes forward kernel <paramref name="kernel"/>'s input gradient, or null (it reads the image).</summary>
    public BackwardKernelPlan? InputGradientOf(int kernel) =>
        System.Linq.Enumerable.FirstOrDefault(Kernels, k => k.Kind == GradientKind.Input && k.Kernel == kernel);

    /// <summary>The kernel that sums the gradient of forward kernel <paramref name="kernel"/>'s output, or null (one reader writes it).</summary>
    public BackwardKernelPlan? SumOf(int kernel) =>
        System.Linq.Enumerable.FirstOrDefault(Kernels, k => k.Kind == GradientKind.Sum && k.Kernel == kernel);
}
