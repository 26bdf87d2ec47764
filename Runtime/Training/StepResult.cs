namespace NetGen;

/// <summary>What one batch gave: its mean loss and how many images had their label first, or in the top five.</summary>
/// <param name="Images">Images in the batch.</param>
/// <param name="Loss">Mean cross-entropy over the batch.</param>
/// <param name="Top1">Images whose label scored highest.</param>
/// <param name="Top5">Images whose label was among the five highest scores.</param>
public readonly record struct StepResult(int Images, double Loss, int Top1, int Top5)
{
    /// <summary>Builds the result from each image's loss and label rank.</summary>
    public static StepResult From(float[] losses, int[] ranks)
    {
        double sum = 0;
        int top1 = 0, top5 = 0;
        for (int i = 0; i < losses.Length; i++)
        {
            sum += losses[i];
            top1 += ranks[i] < 1 ? 1 : 0;
            top5 += ranks[i] < 5 ? 1 : 0;
        }
        return new StepResult(losses.Length, sum / losses.Length, top1, top5);
    }
}
