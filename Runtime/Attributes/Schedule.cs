#if NETGEN_GENERATOR
// The generator compiles these sources in (Generator/NetGen.Generator.csproj) to read attributes by
// their own names and defaults; in its own namespace, so no project sees two NetGen attributes.
namespace NetGen.Generator.Attributes;
#else
namespace NetGen;
#endif

/// <summary>
/// How the learning rate moves over a run (<c>--schedule plateau|step|cosine|onecycle</c>), each as
/// PyTorch's <c>torch.optim.lr_scheduler</c> defines it; docs/training.md states each formula.
/// </summary>
public enum Schedule
{
    /// <summary>
    /// The paper's rule (<c>ReduceLROnPlateau</c>): divided by 10 when the validation error has not improved
    /// for <c>Patience</c> epochs, never before the end of <c>Warmup</c> epochs. Per epoch. The default.
    /// </summary>
    Plateau = 0,

    /// <summary><c>StepLR</c>: <c>lr * Gamma^floor(epoch / StepSize)</c>, after a linear warm-up of <c>Warmup</c> epochs.</summary>
    Step = 1,

    /// <summary>A linear warm-up of <c>Warmup</c> epochs, then cosine annealing to <c>MinLearningRate</c> over the other steps (<c>CosineAnnealingLR</c>, per step).</summary>
    Cosine = 2,

    /// <summary><c>OneCycleLR</c>: up from lr/25 to lr over the first 30% of the steps, then down to lr/25e4 (cosine both ways), per step; the momentum is not cycled.</summary>
    OneCycle = 3,
}
