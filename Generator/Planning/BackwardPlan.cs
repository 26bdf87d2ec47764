using NetGen.Generator.Model;

namespace NetGen.Generator.Planning;

/// <summary>What a backward kernel computes.</summary>
internal enum GradientKind
{
    /// <summary>Softmax and cross-entropy in one kernel: probabilities, per-image losses and ranks, and p - y.</summary>
    Loss,

    /// <summary>The gradient of one of a kernel's tensors (a weight, a bias), summed over the batch into the gradient buffer.</summary>
    Tensor,

    /// <summary>The gradient of a fused group's input, masked by the epilogue of the group that produced it.</summary>
    Input,
}

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
internal sealed record BackwardKernelPlan(string Method, GradientKind Kind, int Kernel, int MaskedBy, int Tensor, long Threads, bool PerImage);

/// <summary>The backward pass: its kernels in launch order and the activations whose gradients it keeps.</summary>
/// <param name="Kernels">The loss first, then each forward kernel's gradients in reverse order.</param>
/// <param name="Logits">The activation the loss reads: the softmax's input, or the last activation when there is no softmax.</param>
/// <param name="Probabilities">The activation the loss writes probabilities to (the softmax's output), or -1 to allocate one.</param>
/// <param name="Gradients">The activations that get a gradient buffer.</param>
internal sealed record BackwardPlan(
    EquatableArray<BackwardKernelPlan> Kernels,
    int Logits,
    int Probabilities,
    EquatableArray<int> Gradients);
