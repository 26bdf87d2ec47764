namespace NetGen;

/// <summary>
/// The paper's schedule: the learning rate is divided by 10 whenever the validation error has not
/// improved for <see cref="Patience"/> epochs. As in PyTorch's ReduceLROnPlateau, an epoch counts as
/// an improvement only when it beats the best so far by more than <see cref="Threshold"/>; a
/// drop restarts the count. The first <see cref="Warmup"/> epochs always keep the starting rate:
/// early on, the validation error at a high rate wanders by more than it improves, and three
/// unlucky epochs would otherwise end the fast phase by chance (as Keras's <c>start_from_epoch</c>
/// holds off early stopping).
/// </summary>
/// <param name="Patience">Epochs without an improvement before a drop.</param>
/// <param name="Threshold">How much lower (absolute, as a fraction: 0.002 is 0.2 points) an error must be to count as an improvement.</param>
/// <param name="BestError">The error to beat: the lowest that counted as an improvement (1 before any).</param>
/// <param name="EpochsSinceBest">Epochs since the last improvement or drop.</param>
/// <param name="Drops">Drops so far.</param>
/// <param name="Warmup">Epochs that end in no drop: the earliest drop comes at the end of epoch <paramref name="Warmup"/> (0: from the first).</param>
/// <param name="Epochs">Epochs observed so far.</param>
public sealed record PlateauSchedule(int Patience, double Threshold = 0, double BestError = 1.0, int EpochsSinceBest = 0, int Drops = 0, int Warmup = 0, int Epochs = 0)
{
    /// <summary>The factor the learning rate is divided by at a drop.</summary>
    public const float Factor = 10f;

    /// <summary>Takes an epoch's validation error; returns the schedule after it and whether to divide the rate now.</summary>
    public (PlateauSchedule Next, bool Drop) Observe(double error)
    {
        int epochs = Epochs + 1;
        if (error < BestError - Threshold)
            return (this with { BestError = error, EpochsSinceBest = 0, Epochs = epochs }, false);
        int since = EpochsSinceBest + 1;
        return since >= Patience && epochs >= Warmup
            ? (this with { EpochsSinceBest = 0, Drops = Drops + 1, Epochs = epochs }, true)
            : (this with { EpochsSinceBest = since, Epochs = epochs }, false);
    }
}
