return EmotionCluster.Cli.CliApp.Run(args);
