/** The Data Streams API's model, loaded once for every module of this service. */
import { loadModel } from '@freshet/aws';

export const KINESIS_MODEL = loadModel('kinesis-2013-12-02');
