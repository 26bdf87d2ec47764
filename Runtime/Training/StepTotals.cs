namespace NetGen;

/// <summary>
/// What a run of training steps gave, summed: each step's <see cref="StepResult"/> added in step
/// order by <see cref="Add"/>, so the sums are the same whenever they are read (<see cref="Trainer.ReadTotals"/>).
/// </summary>
/// <param name="Steps">Steps added.</param>
/// <param name="Images">Images over those steps.</param>
/// <param name="LossSum">The sum of every image's cross-entropy: each step's mean loss times its images, added step by step.</param>
/// <param name="Top1">Images whose label scored highest.</param>
/// <param name="Top5">Images whose label was among the five highest scores.</param>
public readonly record struct StepTotals(long Steps, long Images, double LossSum, long Top1, long Top5)
{
    /// <summary>The mean cross-entropy per image; NaN before the first image.</summary>
    public double Loss => LossSum / Images;

    /// <summary>Images whose label did not score highest.</summary>
    public long Top1Errors => Images - Top1;

    /// <summary>
    /// These totals and one more step. The loss is added as the step's mean times its images, as a
    /// run summed its <see cref="StepResult"/>s before the totals were kept for it.
    /// </summary>
    public StepTotals Add(StepResult step) =>
        new(Steps + 1, Images + step.Images, LossSum + step.Loss * step.Images, Top1 + step.Top1, Top5 + step.Top5);
}
