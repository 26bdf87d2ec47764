namespace NetGen;

/// <summary>Where training stood when a checkpoint was saved, so a run can resume where it stopped.</summary>
/// <param name="Epoch">Completed epochs.</param>
/// <param name="Step">Completed optimizer steps (mini-batches), over all epochs.</param>
/// <param name="LearningRate">The base learning rate in force, after any schedule's decay.</param>
/// <param name="Seed">The seed the run started from, which fixes initialisation, shuffling and dropout.</param>
public sealed record TrainingState(int Epoch, long Step, float LearningRate, ulong Seed)
{
    /// <summary>
    /// What a checkpoint without training metadata (one PyTorch wrote) loads as: nothing done yet,
    /// AlexNet's initial learning rate of 0.01, seed 0.
    /// </summary>
    public static TrainingState Initial { get; } = new(0, 0, 0.01f, 0);
}
