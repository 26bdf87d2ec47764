namespace NetGen;

/// <summary>
/// What the gradient guard concluded on the device about the training steps it checked, one value
/// in device memory, so that a step needs nothing read back: the global norm and clipping factor of
/// the last step that passed, and the first fault, which stays until the host reads it and stops
/// every update after it. Public because ILGPU's generated launcher must see a kernel parameter's type.
/// </summary>
/// <param name="Norm">The global L2 norm of the gradients of the last step that passed, before clipping; NaN before the first.</param>
/// <param name="FaultStep">The step (counted from 1, as <see cref="NumericalFaultException.Step"/>) that faulted; 0 when none has.</param>
/// <param name="NaNs">NaN gradients of the faulted tensor.</param>
/// <param name="Infinities">Infinite gradients of the faulted tensor.</param>
/// <param name="Scale">The factor the last step's gradients were clipped by (1 when they needed none).</param>
/// <param name="FaultLoss">The faulted step's first loss that is not finite, in image order (0 when every loss was finite).</param>
/// <param name="FaultTensor">The parameter tensor nearest the loss whose gradient is not finite; -1 when every gradient was finite.</param>
/// <param name="FaultImage">The first image whose loss is not finite; -1 when every loss was finite.</param>
/// <param name="FaultTensors">How many parameter tensors had a gradient that is not finite.</param>
public readonly record struct GuardVerdict(double Norm, long FaultStep, long NaNs, long Infinities, float Scale, float FaultLoss,
    int FaultTensor, int FaultImage, int FaultTensors)
{
    /// <summary>The verdict before any step: no norm, no fault, no clipping.</summary>
    public static GuardVerdict None { get; } = new(double.NaN, 0, 0, 0, 1f, 0f, -1, -1, 0);

    /// <summary>Whether a step has faulted since the host last read the verdict.</summary>
    public bool Faulted => FaultStep != 0;
}
