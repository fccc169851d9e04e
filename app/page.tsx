import { Studio } from '@/components/studio/studio';

/** The studio is the home page: generating images is what people come for. */
export default function Home() {
  return <Studio />;
}
