using System;
using System.Linq;
using NetGen.Distributed;
using NetGen.Networks;
using Xunit.Abstractions;

namespace NetGen.Tests.Distributed;

/// <summary>The communicator on one process, the buckets' layout, and two ranks of a real Open MPI job meeting in an all-reduce.</summary>
public class CommunicatorTests(ITestOutputHelper output)
{
    [Fact]
    public void WithoutMpirunTheJobIsOneProcessAndSumsAreTheValues()
    {
        Assert.Null(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE"));
        using var communicator = Communicator.FromEnvironment();
        Assert.IsType<SingleProcess>(communicator);
        Assert.Equal((0, 1), (communicator.Rank, communicator.Size));
        float[] values = [1f, 2.5f, -3f];
        communicator.AllReduceSum(values);
        Assert.Equal([1f, 2.5f, -3f], values);
        Assert.True(communicator.StartAllReduceSum(values).Test());
    }

    [Fact]
    public void BucketsCoverEveryTrainedGradientOnceFromTheLastLayerBack()
    {
        var info = ResNet8.Description;
        // Buckets of one float close at every tensor: one per trained tensor.
        using var buckets = new GradientBuckets(SingleProcess.Instance, info, bucketBytes: sizeof(float));
        Assert.Equal(info.TrainedParameterCount * sizeof(float), buckets.BytesPerStep);
        Assert.Equal(info.Parameters.Count(p => p.Trainable), buckets.Count);
        using var whole = new GradientBuckets(SingleProcess.Instance, info, bucketBytes: long.MaxValue / 2);
        Assert.Equal(info.TrainedParameterCount * sizeof(float), whole.BytesPerStep);
        // One bucket per run of trained tensors between running statistics: each batch norm's
        // statistics cut the buffer, so ResNet8's seven runs (six norms) give seven buckets.
        Assert.Equal(info.Parameters.Count(p => p.Name.EndsWith("bn.num_batches_tracked", StringComparison.Ordinal)) + 1, whole.Count);
    }

    [MpiFact]
    public void TwoRanksMeetInAnAllReduceWhoseSumIsKnown()
    {
        var (code, text) = MpiJob.Run(2, TimeSpan.FromMinutes(2), "ranks");
        output.WriteLine(text);
        Assert.True(code == 0, $"mpirun -np 2 netgen ranks exited with {code}:\n{text}");
        foreach (int rank in new[] { 0, 1 })
            Assert.Contains($"rank {rank} of 2 on ", text);
        Assert.Equal(2, text.Split('\n').Count(l => l.Contains("all-reduce exact, 2 ranks answered", StringComparison.Ordinal)));
        Assert.Contains("Open MPI v4", text);
    }
}
